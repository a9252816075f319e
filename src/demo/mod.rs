//! stub
pub struct DemoConfig {
    pub port: u16,
    pub speed: f64,
}
impl Default for DemoConfig {
    fn default() -> Self {
        Self { port: 0, speed: 1.0 }
    }
}
pub struct DemoServer;
impl DemoServer {
    pub async fn start(_c: DemoConfig) -> std::io::Result<DemoServer> {
        Err(std::io::Error::other("stub"))
    }
    pub fn url(&self) -> String {
        String::new()
    }
}
pub async fn run_forever(_port: u16) -> std::io::Result<()> {
    Ok(())
}
