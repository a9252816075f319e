//! The monitor's HTTP side, on hyper's HTTP/1.1 server: `GET /metrics` (the Prometheus text
//! format), `/healthz` (200 while the process runs its loop) and `/readyz` (200 once every
//! endpoint's connection is open, else 503 naming those that are not).

use std::convert::Infallible;
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
use tokio::task::JoinSet;

use super::metrics::{CONTENT_TYPE as METRICS_TYPE, Metrics};

/// How long a client may take to send its request's head.
const HEADER_TIMEOUT: Duration = Duration::from_secs(5);

/// The most connections served at once; a further one waits to be accepted.
const MAX_CONNECTIONS: usize = 64;

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
    loop {
        while connections.len() >= MAX_CONNECTIONS {
            connections.join_next().await;
        }
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
        let shared = Arc::clone(&shared);
        let mut stop = stop.clone();
        connections.spawn(async move {
            let service = service_fn(move |request| {
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
