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
