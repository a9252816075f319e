//! Faults on one connection: turning a `demo_fault` request (or a configured connection
//! fault) into state changes and outbox actions, and carrying out the actions that put
//! unusual frames on the wire.

use std::time::Duration;

use futures_util::SinkExt as _;
use serde::Deserialize as _;
use serde_json::Value;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use super::outbox::{After, Outgoing};
use super::{Connection, Flow, Ws};
use crate::demo::ethereum::{BlockRef, EthKind};
use crate::demo::fault::{
    self, DemoFault, FLOOD_CHUNK, FloodBuilder, FloodTarget, MAX_DELAY_MS, MAX_FLOOD_COUNT,
};
use crate::demo::rpc::{self, RpcError};
use crate::demo::shared::Counters;
use crate::demo::solana::SolKind;

/// A fault that changes what goes on the wire, executed in outbox order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Action {
    /// Drop the TCP connection.
    Drop,
    /// Send close 1011.
    Close,
    /// Send the four malformed frames.
    Malformed,
    /// Send one 10 MiB frame.
    Huge,
    /// Send this many small frames as fast as possible.
    Flood(u64),
    /// Stop reading and writing.
    Silence,
    /// Send one frame of this many bytes over this long.
    Trickle(usize, Duration),
}

impl Connection {
    /// `demo_fault [{"kind":…}]`.
    pub(super) fn fault_request(
        &mut self,
        params: &[Value],
        after: &mut Vec<After>,
    ) -> Result<String, RpcError> {
        let first = params.first().ok_or_else(|| rpc::missing_params(1))?;
        let fault = DemoFault::deserialize(first)
            .map_err(|err| RpcError::invalid_params(format!("Invalid params: {err}.")))?;
        self.apply_fault(fault, after);
        Ok("true".to_owned())
    }

    /// Turns a fault into state changes and queued actions.
    pub(super) fn apply_fault(&mut self, fault: DemoFault, after: &mut Vec<After>) {
        Counters::bump(&self.shared.stats.faults_injected);
        let action = match fault {
            DemoFault::Delay { ms } => {
                after.push(After::SetDelay(Duration::from_millis(ms.min(MAX_DELAY_MS))));
                return;
            }
            DemoFault::Refuse => {
                self.refuse_next = true;
                return;
            }
            DemoFault::Drop => Action::Drop,
            DemoFault::Close => Action::Close,
            DemoFault::Malformed => Action::Malformed,
            DemoFault::Huge => Action::Huge,
            DemoFault::Flood { count } => Action::Flood(count.min(MAX_FLOOD_COUNT)),
            DemoFault::Silence => Action::Silence,
            DemoFault::Trickle { bytes, ms } => Action::Trickle(
                bytes.min(fault::MAX_TRICKLE_BYTES),
                Duration::from_millis(ms.min(fault::MAX_DELAY_MS)),
            ),
        };
        after.push(After::Send(Outgoing::Act(action)));
    }

    /// Carries out one fault action at its turn in the outbox.
    pub(super) async fn act(&mut self, ws: &mut Ws, action: Action) -> Flow {
        let sent = match action {
            Action::Drop => return Flow::End,
            Action::Close => return Flow::Close,
            Action::Silence => {
                self.outbox.clear();
                return Flow::Silence;
            }
            Action::Malformed => self.send_malformed(ws).await,
            Action::Huge => self.send_huge(ws).await,
            Action::Flood(count) => self.flood(ws, count).await,
            Action::Trickle(bytes, over) => self.trickle(ws, bytes, over).await,
        };
        if sent.is_err() { Flow::End } else { Flow::Continue }
    }

    /// The malformed fault: a non-JSON text frame, a JSON frame of unknown shape, a non-UTF-8
    /// binary frame and a binary frame of UTF-8 words.
    async fn send_malformed(&mut self, ws: &mut Ws) -> Result<(), WsError> {
        let frames = [
            Message::text(fault::MALFORMED_TEXT),
            Message::text(fault::MALFORMED_JSON),
            Message::binary(fault::MALFORMED_BINARY),
            Message::binary(fault::MALFORMED_BINARY_TEXT),
        ];
        for frame in frames {
            let len = frame.len();
            ws.feed(frame).await?;
            self.shared.stats.frame_sent(len);
        }
        ws.flush().await
    }

    /// The huge fault: one logsNotification of at least 10 MiB.
    async fn send_huge(&mut self, ws: &mut Ws) -> Result<(), WsError> {
        let subscription = self.first_solana_logs().unwrap_or(0);
        let frame = fault::huge_frame(subscription, self.shared.clock.slot(), &mut self.rng);
        let len = frame.len();
        ws.send(Message::text(frame)).await?;
        self.shared.stats.frame_sent(len);
        Ok(())
    }

    /// The trickle fault: one big frame written straight to the TCP socket in slices, evenly
    /// over `over`, so the client receives its bytes slowly and nothing else meanwhile.
    async fn trickle(&mut self, ws: &mut Ws, bytes: usize, over: Duration) -> Result<(), WsError> {
        use tokio::io::AsyncWriteExt as _;

        const SLICES: u32 = 50;
        let subscription = self.first_solana_logs().unwrap_or(0);
        let payload = fault::sized_frame(subscription, self.shared.clock.slot(), bytes, &mut self.rng);
        // An unmasked text frame with a 64-bit length: what tungstenite would send, written by
        // hand so it can be slowed down.
        let mut frame = Vec::with_capacity(payload.len() + 10);
        frame.push(0x81);
        frame.push(127);
        frame.extend_from_slice(&(payload.len() as u64).to_be_bytes());
        frame.extend_from_slice(payload.as_bytes());
        ws.flush().await?; // nothing of tungstenite's may be half written before ours
        let slice = frame.len().div_ceil(SLICES as usize);
        let pause = over / SLICES;
        let socket = ws.get_mut();
        for part in frame.chunks(slice) {
            socket.write_all(part).await?;
            socket.flush().await?;
            tokio::time::sleep(pause).await;
        }
        self.shared.stats.frame_sent(payload.len());
        Ok(())
    }

    /// The flood fault: `count` small logs frames, fed in chunks and flushed once per chunk.
    async fn flood(&mut self, ws: &mut Ws, count: u64) -> Result<(), WsError> {
        let (target, height) = match (self.first_solana_logs(), self.first_eth_logs()) {
            (Some(id), _) => (FloodTarget::SolanaLogs(id), self.shared.clock.slot()),
            (None, Some(id)) => {
                (FloodTarget::EthLogs(id), BlockRef::at_tick(self.shared.clock.block_tick()).number)
            }
            (None, None) => (FloodTarget::SolanaLogs(0), self.shared.clock.slot()),
        };
        let builder = FloodBuilder::new(&target, height, &mut self.rng);
        let chunk = u64::try_from(FLOOD_CHUNK).unwrap_or(1);
        let mut sent = 0_u64;
        // Bounded: `count` is capped at MAX_FLOOD_COUNT and every pass sends a chunk.
        while sent < count {
            let size = usize::try_from((count - sent).min(chunk)).unwrap_or(FLOOD_CHUNK);
            let mut bytes = 0_usize;
            for frame in builder.chunk(sent, size) {
                bytes += frame.len();
                ws.feed(frame).await?;
            }
            ws.flush().await?;
            let stats = &self.shared.stats;
            stats
                .frames_sent
                .fetch_add(u64::try_from(size).unwrap_or(0), std::sync::atomic::Ordering::Relaxed);
            stats
                .bytes_sent
                .fetch_add(u64::try_from(bytes).unwrap_or(0), std::sync::atomic::Ordering::Relaxed);
            sent = sent.saturating_add(u64::try_from(size).unwrap_or(chunk));
        }
        Ok(())
    }

    /// The lowest-numbered Solana logs subscription of this connection.
    fn first_solana_logs(&self) -> Option<u64> {
        self.solana.iter().find(|(_, kind)| matches!(kind, SolKind::Logs { .. })).map(|(id, _)| *id)
    }

    /// The first Ethereum logs subscription of this connection.
    fn first_eth_logs(&self) -> Option<String> {
        self.ethereum.iter().find(|sub| matches!(sub.kind, EthKind::Logs(_))).map(|sub| sub.id.clone())
    }
}
