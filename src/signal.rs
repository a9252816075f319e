//! SIGINT, SIGTERM and SIGHUP: the one listener every headless verb stops on (`record` and
//! `compare`: a first signal ends the run cleanly, a second at once; the demo server and
//! replay). The window listens to the same [`Signals`] (`app::window`: a first signal closes
//! it the normal way, saving its settings; a second ends the process at once). `monitor`, a
//! service, stops on SIGINT and SIGTERM only: SIGHUP makes it read its workspace again
//! ([`ReloadSignal`]).

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
        Self::listen_to(Signals::install())
    }

    /// [`Self::listen`] for SIGINT and SIGTERM only, for a service that reloads on SIGHUP.
    pub(crate) fn listen_without_hangup() -> Self {
        Self::listen_to(Signals::install_stop_only())
    }

    fn listen_to(mut signals: Signals) -> Self {
        let (tx, count) = watch::channel(0);
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

/// The signals that stop a run, registered once for the whole run.
pub(crate) struct Signals {
    #[cfg(unix)]
    interrupt: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    hangup: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    /// Registers the handlers (within a tokio runtime); from now on these signals no longer
    /// end the process the default way.
    #[cfg(unix)]
    pub(crate) fn install() -> Self {
        use tokio::signal::unix::{SignalKind, signal};
        Self {
            interrupt: signal(SignalKind::interrupt()).ok(),
            terminate: signal(SignalKind::terminate()).ok(),
            hangup: signal(SignalKind::hangup()).ok(),
        }
    }

    #[cfg(not(unix))]
    pub(crate) fn install() -> Self {
        Self {}
    }

    /// SIGINT and SIGTERM, leaving SIGHUP to [`ReloadSignal`].
    fn install_stop_only() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Self {
                interrupt: signal(SignalKind::interrupt()).ok(),
                terminate: signal(SignalKind::terminate()).ok(),
                hangup: None,
            }
        }
        #[cfg(not(unix))]
        Self {}
    }

    /// Waits for the next SIGINT, SIGTERM or SIGHUP; false when none can be listened for.
    #[cfg(unix)]
    pub(crate) async fn next(&mut self) -> bool {
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
    pub(crate) async fn next(&mut self) -> bool {
        tokio::signal::ctrl_c().await.is_ok()
    }
}

/// SIGHUP, listened for from the moment it is made (so a reload asked at once is not lost, nor
/// does it end the process the default way). On other systems it never comes.
pub(crate) struct ReloadSignal {
    #[cfg(unix)]
    hangup: Option<tokio::signal::unix::Signal>,
}

impl ReloadSignal {
    /// Installs the handler.
    pub(crate) fn listen() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Self { hangup: signal(SignalKind::hangup()).ok() }
        }
        #[cfg(not(unix))]
        Self {}
    }

    /// Resolves at the next SIGHUP (never, when it cannot be listened for).
    pub(crate) async fn next(&mut self) {
        #[cfg(unix)]
        if let Some(hangup) = self.hangup.as_mut()
            && hangup.recv().await.is_some()
        {
            return;
        }
        std::future::pending::<()>().await;
    }
}
