//! The monitor's HTTP side, on hyper's HTTP/1.1 server: `GET /metrics` (the Prometheus text
//! format), `/healthz` (200 while the process runs its loop) and `/readyz` (200 once every
//! endpoint's connection is open, else 503 naming those that are not).
//!
//! Anything on the machine can connect, and a scrape must not wait on what it does: a client
//! has [`HEADER_TIMEOUT`] to send each request's head, and at [`MAX_CONNECTIONS`] the oldest
//! connection that never asked anything (else the oldest of all) is closed to seat the new
//! one. Waiting for a free seat instead let 64 silent sockets hold every scrape for the
//! header timeout, again each time they reconnected, and a reader that asked for `/metrics`
//! and never read held its seat for good.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::{AbortHandle, JoinSet};

use super::metrics::{CONTENT_TYPE as METRICS_TYPE, Metrics};

/// How long a client may take to send its request's head.
const HEADER_TIMEOUT: Duration = Duration::from_secs(5);

/// The most connections served at once; a further one takes the seat of an older one.
const MAX_CONNECTIONS: usize = 64;

/// An open connection: its task, and whether it has asked anything yet.
struct Seat {
    task: AbortHandle,
    asked: Arc<AtomicBool>,
}

/// What the HTTP side shows, shared with the monitor's loop.
pub struct Shared {
    /// The metrics.
    pub metrics: Metrics,
    /// The endpoints whose connection is not open, by name (empty: ready).
    pub not_ready: Mutex<Vec<String>>,
}

/// Serves until `stop` turns true, then lets the requests in progress finish.
pub async fn serve(listener: TcpListener, shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    let mut connections = JoinSet::new();
    let mut seats: VecDeque<Seat> = VecDeque::new();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = stopped(&mut stop) => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        // A failed accept (too many open files) is retried after a breath.
        let Ok((tcp, _)) = accepted else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        seats.retain(|seat| !seat.task.is_finished());
        if seats.len() >= MAX_CONNECTIONS {
            let silent = seats.iter().position(|seat| !seat.asked.load(Ordering::Relaxed));
            if let Some(oldest) = seats.remove(silent.unwrap_or(0)) {
                oldest.task.abort(); // its socket is closed; the join set reaps the task
            }
        }
        let shared = Arc::clone(&shared);
        let mut stop = stop.clone();
        let asked = Arc::new(AtomicBool::new(false));
        let asking = Arc::clone(&asked);
        let task = connections.spawn(async move {
            let service = service_fn(move |request| {
                asking.store(true, Ordering::Relaxed);
                let shared = Arc::clone(&shared);
                async move { Ok::<_, Infallible>(respond(&shared, &request)) }
            });
            let mut builder = http1::Builder::new();
            builder.timer(TokioTimer::new()).header_read_timeout(HEADER_TIMEOUT).keep_alive(true);
            let connection = builder.serve_connection(TokioIo::new(tcp), service);
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                () = stopped(&mut stop) => {
                    connection.as_mut().graceful_shutdown();
                    tokio::time::timeout(Duration::from_secs(1), connection).await.ok();
                }
            }
        });
        seats.push_back(Seat { task, asked });
    }
    connections.shutdown().await;
}

/// Resolves once the stop flag is up (or its sender is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    // The guard the wait returns is dropped here, before anything else is awaited.
    stop.wait_for(|stop| *stop).await.map(|_| ()).ok();
}

fn respond(shared: &Shared, request: &Request<Incoming>) -> Response<Full<Bytes>> {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return text(StatusCode::METHOD_NOT_ALLOWED, "only GET\n".to_owned());
    }
    match request.uri().path() {
        "/metrics" => {
            let mut response = Response::new(Full::new(Bytes::from(shared.metrics.encode())));
            response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(METRICS_TYPE));
            response
        }
        "/healthz" => text(StatusCode::OK, "ok\n".to_owned()),
        "/readyz" => {
            let not_ready = shared.not_ready.lock().map(|names| names.join(", ")).unwrap_or_default();
            if not_ready.is_empty() {
                text(StatusCode::OK, "ready\n".to_owned())
            } else {
                text(StatusCode::SERVICE_UNAVAILABLE, format!("not connected: {not_ready}\n"))
            }
        }
        _ => {
            text(StatusCode::NOT_FOUND, "subscope monitor serves /metrics, /healthz and /readyz\n".to_owned())
        }
    }
}

fn text(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    response
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    use tokio::net::TcpStream;

    use super::*;

    /// GET `target` on a fresh connection: the status line's code.
    async fn status_of(port: u16, target: &str) -> Option<String> {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).await.ok()?;
        stream.write_all(format!("GET {target} HTTP/1.0\r\n\r\n").as_bytes()).await.ok()?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await.ok()?;
        let text = String::from_utf8_lossy(&answer);
        text.split_whitespace().nth(1).map(str::to_owned)
    }

    #[tokio::test]
    async fn sockets_holding_every_seat_cannot_keep_a_scrape_waiting() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|err| panic!("{err}"));
        let port = listener.local_addr().unwrap_or_else(|err| panic!("{err}")).port();
        let shared = Arc::new(Shared { metrics: Metrics::new(), not_ready: Mutex::new(Vec::new()) });
        let (stop, stopped) = watch::channel(false);
        let server = tokio::spawn(serve(listener, shared, stopped));

        // Every seat taken: silent sockets, and readers that asked and never read.
        let mut held = Vec::new();
        for index in 0..MAX_CONNECTIONS {
            let mut socket =
                TcpStream::connect(("127.0.0.1", port)).await.unwrap_or_else(|err| panic!("{err}"));
            if index % 2 == 1 {
                socket.write_all(&b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n".repeat(64)).await.ok();
            }
            held.push(socket);
        }
        tokio::time::sleep(Duration::from_millis(200)).await; // all accepted
        // A scrape is served at once, well before a silent socket's header timeout frees a seat.
        let scrape = tokio::time::timeout(HEADER_TIMEOUT / 5, status_of(port, "/healthz")).await;
        assert_eq!(scrape.ok().flatten().as_deref(), Some("200"));
        // And again, with the seats taken anew.
        for socket in &mut held {
            *socket = TcpStream::connect(("127.0.0.1", port)).await.unwrap_or_else(|err| panic!("{err}"));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        let scrape = tokio::time::timeout(HEADER_TIMEOUT / 5, status_of(port, "/metrics")).await;
        assert_eq!(scrape.ok().flatten().as_deref(), Some("200"));

        stop.send(true).ok();
        tokio::time::timeout(Duration::from_secs(5), server).await.ok();
    }
}
