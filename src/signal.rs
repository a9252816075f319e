//! SIGINT, SIGTERM and SIGHUP: the one listener every headless verb stops on (`record` and
//! `compare`: a first signal ends the run cleanly, a second at once; the demo server and
//! replay), and the window's [`CloseRequest`] (a first signal closes it the normal way, saving
//! its settings; a second ends the process at once).

#[cfg(feature = "gui")]
use std::sync::atomic::{AtomicU32, Ordering};
#[cfg(feature = "gui")]
use std::sync::{Arc, OnceLock};

#[cfg(feature = "gui")]
use tokio::runtime::Handle;
use tokio::sync::watch;

/// SIGINT, SIGTERM and SIGHUP, listened for once for the whole run, from the moment it is
/// made: a server makes one before it prints its URL, so a signal sent as soon as the URL is
/// seen stops it cleanly instead of killing it. A signal that cannot be listened for is one
/// that never comes.
pub(crate) struct StopSignal {
    count: watch::Receiver<u32>,
}

impl StopSignal {
    /// Starts the one listener. The handlers are installed before this returns, so a signal
    /// that comes at once is not lost (nor does it kill the process the default way).
    pub(crate) fn listen() -> Self {
        let (tx, count) = watch::channel(0);
        let mut signals = Signals::install();
        tokio::spawn(async move {
            let mut received = 0;
            while signals.next().await {
                received += 1;
                if tx.send(received).is_err() {
                    return; // the run is over
                }
            }
        });
        Self { count }
    }

    /// Resolves once `times` signals have arrived.
    pub(crate) async fn requested(&mut self, times: u32) {
        if self.count.wait_for(|count| *count >= times).await.is_err() {
            std::future::pending::<()>().await; // no listener: no signal will come
        }
    }
}

/// What wakes the window's UI thread to look at a [`CloseRequest`].
#[cfg(feature = "gui")]
type Wake = Box<dyn Fn() + Send + Sync>;

/// SIGINT, SIGTERM or SIGHUP asking the window to close. The listener only counts and wakes
/// the UI thread; the window closes itself the normal way (its settings are saved as on any
/// close). A second signal ends the process at once, for a window that does not answer.
#[cfg(feature = "gui")]
#[derive(Clone)]
pub(crate) struct CloseRequest {
    received: Arc<AtomicU32>,
    wake: Arc<OnceLock<Wake>>,
}

#[cfg(feature = "gui")]
impl CloseRequest {
    /// Starts listening on `runtime`; the handlers are installed before this returns, so a
    /// signal sent while the window is still opening closes it once it is open.
    pub(crate) fn listen(runtime: &Handle) -> Self {
        let received = Arc::new(AtomicU32::new(0));
        let wake: Arc<OnceLock<Wake>> = Arc::new(OnceLock::new());
        let _guard = runtime.enter();
        let mut signals = Signals::install();
        let (count, waker) = (Arc::clone(&received), Arc::clone(&wake));
        runtime.spawn(async move {
            while signals.next().await {
                if count.fetch_add(1, Ordering::SeqCst) >= 1 {
                    eprintln!("subscope: a second signal: quitting at once");
                    std::process::exit(1);
                }
                if let Some(wake) = waker.get() {
                    wake();
                }
            }
        });
        Self { received, wake }
    }

    /// Calls `wake` (once the window has a context to repaint) when a signal arrives.
    pub(crate) fn wake_with(&self, wake: impl Fn() + Send + Sync + 'static) {
        self.wake.set(Box::new(wake)).ok(); // set once, by the window that opens
    }

    /// Whether a signal asked the window to close.
    pub(crate) fn requested(&self) -> bool {
        self.received.load(Ordering::SeqCst) > 0
    }
}

/// The signals that stop a run, registered once for the whole run.
struct Signals {
    #[cfg(unix)]
    interrupt: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    hangup: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    #[cfg(unix)]
    fn install() -> Self {
        use tokio::signal::unix::{SignalKind, signal};
        Self {
            interrupt: signal(SignalKind::interrupt()).ok(),
            terminate: signal(SignalKind::terminate()).ok(),
            hangup: signal(SignalKind::hangup()).ok(),
        }
    }

    #[cfg(not(unix))]
    fn install() -> Self {
        Self {}
    }

    /// Waits for the next SIGINT, SIGTERM or SIGHUP; false when none can be listened for.
    #[cfg(unix)]
    async fn next(&mut self) -> bool {
        async fn recv(signal: Option<&mut tokio::signal::unix::Signal>) -> Option<()> {
            match signal {
                Some(signal) => signal.recv().await,
                None => std::future::pending().await,
            }
        }
        if self.interrupt.is_none() && self.terminate.is_none() && self.hangup.is_none() {
            return false;
        }
        tokio::select! {
            received = recv(self.interrupt.as_mut()) => received.is_some(),
            received = recv(self.terminate.as_mut()) => received.is_some(),
            received = recv(self.hangup.as_mut()) => received.is_some(),
        }
    }

    /// Waits for the next Ctrl-C; false when it cannot be listened for.
    #[cfg(not(unix))]
    async fn next(&mut self) -> bool {
        tokio::signal::ctrl_c().await.is_ok()
    }
}
