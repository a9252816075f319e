//! A TCP proxy on 127.0.0.1 the test controls: it forwards to a node until [`Proxy::cut`]
//! drops every connection through it and refuses new ones, until [`Proxy::restore`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::{AbortHandle, JoinHandle};

/// See the module docs.
pub struct Proxy {
    /// The port clients connect to.
    pub port: u16,
    cut: Arc<AtomicBool>,
    links: Arc<Mutex<Vec<AbortHandle>>>,
    listener: JoinHandle<()>,
}

impl Proxy {
    /// A proxy to 127.0.0.1:`target`, on a free port.
    pub async fn start(target: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|err| panic!("bind: {err}"));
        let port = listener.local_addr().map(|addr| addr.port()).unwrap_or_else(|err| panic!("{err}"));
        let cut = Arc::new(AtomicBool::new(false));
        let links: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let listener = tokio::spawn({
            let (cut, links) = (Arc::clone(&cut), Arc::clone(&links));
            async move {
                while let Ok((mut client, _)) = listener.accept().await {
                    if cut.load(Ordering::SeqCst) {
                        drop(client); // refused: closed at once
                        continue;
                    }
                    let link = tokio::spawn(async move {
                        if let Ok(mut node) = TcpStream::connect(("127.0.0.1", target)).await {
                            tokio::io::copy_bidirectional(&mut client, &mut node).await.ok();
                        }
                    });
                    let mut links = links.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                    links.retain(|link| !link.is_finished());
                    links.push(link.abort_handle());
                }
            }
        });
        Self { port, cut, links, listener }
    }

    /// Drops every connection through the proxy and refuses new ones.
    pub fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        for link in self.links.lock().unwrap_or_else(std::sync::PoisonError::into_inner).drain(..) {
            link.abort();
        }
    }

    /// Lets connections through again.
    pub fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.listener.abort();
        self.cut();
    }
}

/// An HTTP JSON-RPC front for 127.0.0.1:`target` that refuses every batch (a JSON array) with
/// a JSON-RPC error, as some providers do, and forwards single requests; returns its port.
pub async fn rpc_refusing_batches(target: u16) -> u16 {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    /// One HTTP/1.1 message with a Content-Length body: its head and body, or `None` at the end.
    async fn message(stream: &mut TcpStream) -> Option<(String, Vec<u8>)> {
        let mut bytes = Vec::new();
        let head_end = loop {
            if let Some(at) = bytes.windows(4).position(|window| window == b"\r\n\r\n") {
                break at + 4;
            }
            let mut chunk = [0u8; 4096];
            let read = stream.read(&mut chunk).await.ok().filter(|read| *read > 0)?;
            bytes.extend_from_slice(&chunk[..read]);
        };
        let head = String::from_utf8_lossy(&bytes[..head_end]).into_owned();
        let length = head
            .lines()
            .find_map(|line| {
                line.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned())
            })
            .and_then(|value| value.parse::<usize>().ok())
            .unwrap_or(0);
        while bytes.len() < head_end + length {
            let mut chunk = [0u8; 4096];
            let read = stream.read(&mut chunk).await.ok().filter(|read| *read > 0)?;
            bytes.extend_from_slice(&chunk[..read]);
        }
        Some((head, bytes[head_end..head_end + length].to_vec()))
    }

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|err| panic!("bind: {err}"));
    let port = listener.local_addr().map(|addr| addr.port()).unwrap_or_else(|err| panic!("{err}"));
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            tokio::spawn(async move {
                while let Some((head, body)) = message(&mut client).await {
                    let answer = if body.first() == Some(&b'[') {
                        let refusal = r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"batch requests are not supported"}}"#;
                        format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{refusal}",
                            refusal.len()
                        )
                        .into_bytes()
                    } else {
                        let Ok(mut node) = TcpStream::connect(("127.0.0.1", target)).await else { return };
                        let mut request = head.into_bytes();
                        request.extend_from_slice(&body);
                        if node.write_all(&request).await.is_err() {
                            return;
                        }
                        let Some((head, body)) = message(&mut node).await else { return };
                        let mut answer = head.into_bytes();
                        answer.extend_from_slice(&body);
                        answer
                    };
                    if client.write_all(&answer).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    port
}
