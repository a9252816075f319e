//! Serving the opened capture as a live endpoint: a [`ReplayServer`] on 127.0.0.1 that the
//! window adds as an endpoint ("Replay of FILE") and connects, so the composer's
//! subscriptions run again against exactly the recorded traffic.

use std::sync::Arc;

use super::App;
use super::keys::new_endpoint_id;
use crate::replay::{Replay, ReplayOptions, ReplayServer};
use crate::session::{Endpoint, Message};

impl App {
    /// Serves the opened capture and connects to it as a new endpoint.
    pub(super) fn serve_opened(&mut self) {
        let Some(opened) = &self.files.opened else { return };
        let name = opened.capture.name.clone();
        let view = &opened.capture.view;
        let replay = Arc::new(Replay::from_capture(view.capture.iter(), &view.context));
        match ReplayServer::spawn(&self.runtime, replay, ReplayOptions::default()) {
            Ok(server) => {
                let id = new_endpoint_id(self.session.endpoints());
                let url = server.url();
                self.session.add_endpoint(Endpoint {
                    id,
                    label: format!("Replay of {name}"),
                    url: url.clone(),
                    transient: true,
                    ..Endpoint::default()
                });
                self.files.replays.push((id, server));
                let index = self.session.endpoints().len() - 1;
                self.keys.connect(&mut self.session, index);
                self.message = Some(Message::News(format!(
                    "Serving {name} at {url}: subscribe on \u{201c}Replay of {name}\u{201d}, or point a dApp at it"
                )));
            }
            Err(err) => self.message = Some(Message::Failure(format!("Could not serve {name}: {err}"))),
        }
    }

    /// Stops the replay behind a removed endpoint, if it was one.
    pub(super) fn stop_serving(&mut self, endpoint_id: u64) {
        self.files.replays.retain(|(id, _)| *id != endpoint_id); // dropping a server stops it
    }
}
