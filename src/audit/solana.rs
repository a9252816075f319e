//! Solana checks: slots and roots against `getBlocks`, a `mentions` logs subscription against
//! `getSignaturesForAddress`.

use std::collections::HashSet;

use serde_json::Value;

use super::collect::{Delivered, Tick};
use super::tally::{Expected, Got, Item, Unmatched, heights_of, tally};
use super::{
    AuditProgress, BLOCK_TIME_MARGIN_MS, Check, CheckError, FINALIZED_LAG_MS, MAX_SIGNATURE_PAGES, Span, Unit,
};
use crate::human::time_of_day;
use crate::rpc::{MAX_SIGNATURES_PAGE, RpcClient, SignatureInfo};

/// The commitment of a processed stream, which the ledger queries do not take.
const PROCESSED: &str = "processed";

/// The commitment slots are checked at.
pub(super) const CONFIRMED: &str = "confirmed";

/// The commitment roots are checked at.
pub(super) const FINALIZED: &str = "finalized";

/// `processed` when a subscription asked for it, which the ledger's own commitment (at least
/// `confirmed`) does not say.
pub(super) fn stream_commitment(params: Option<&Value>) -> Option<String> {
    let asked = params?.get(1)?.get("commitment")?.as_str()?;
    (asked == PROCESSED).then(|| asked.to_owned())
}

fn slot_item(slot: u64) -> Item {
    Item { slot: Some(slot), ..Item::default() }
}

/// Slots (or roots) from the first to the last delivered, against the slots holding a block
/// at `commitment`; those above the node's slot at that commitment are unsettled.
pub(super) async fn slots(
    delivered: &Delivered,
    commitment: &str,
    client: &RpcClient,
) -> Result<Check, CheckError> {
    let got: Vec<Got> = delivered
        .items
        .iter()
        .filter_map(|item| {
            let slot = item.key.height?;
            Some(Got::at(slot, slot.to_string(), slot_item(slot), item))
        })
        .collect();
    let delivered_range = heights_of(&got);
    let mut basis = format!(
        "from the first to the last delivered slot; slots with a {commitment} block (getBlocks), so skipped \
         slots are not expected"
    );
    let Some((first, last)) = delivered_range else {
        return Ok(Check {
            span: Span { unit: Unit::Slot, range: None, basis },
            tally: tally(&[], &got, |_| Unmatched::Extra),
        });
    };
    let tip = client.slot(commitment).await?;
    let checked_last = last.min(tip);
    let blocks = if first <= checked_last {
        client.get_blocks(first, checked_last, commitment).await?
    } else {
        Vec::new()
    };
    if checked_last < last {
        basis.push_str(&format!(
            "; slots after {tip}, the node's newest {commitment} slot, are not judged yet"
        ));
    }
    let expected: Vec<Expected> = blocks
        .iter()
        .map(|&slot| Expected { id: slot.to_string(), order: (slot, 0), item: slot_item(slot) })
        .collect();
    let judge = |got: &Got| if got.order.0 > checked_last { Unmatched::Unsettled } else { Unmatched::Extra };
    let tally = tally(&expected, &got, judge);
    let range = (first <= checked_last).then_some((first, checked_last));
    Ok(Check { span: Span { unit: Unit::Slot, range, basis }, tally })
}

/// The slots a `mentions` subscription was sure to report: from the first slot notified after
/// `start` to the slot its commitment had reached at `end`.
fn window_by_slots(slots: &[Tick], start: u64, end: u64, commitment: &str) -> Option<(u64, u64)> {
    let first = slots.iter().filter(|tick| tick.at_ms > start).map(|tick| tick.height).min()?;
    let before_end = slots.iter().filter(|tick| tick.at_ms <= end);
    let last = if commitment == PROCESSED {
        before_end.map(|tick| tick.height).max()?.checked_sub(1)?
    } else {
        before_end.filter_map(|tick| tick.root).max()?
    };
    (first <= last).then_some((first, last))
}

/// How a `mentions` span is bounded.
enum Window {
    /// By slots.
    Slots(u64, u64),
    /// By block times, in ms since the epoch.
    Times(u64, u64),
    /// By nothing but the delivered slots.
    None,
}

/// Transactions that mention `address` over the span the subscription covered, against those
/// it delivered.
pub(super) async fn mentions(
    delivered: &Delivered,
    address: &str,
    commitment: &str,
    slots: Option<&[Tick]>,
    client: &RpcClient,
    progress: &AuditProgress,
) -> Result<Check, CheckError> {
    // The ledger is asked at confirmed at least (processed is not a query commitment).
    let asked = if commitment == FINALIZED { FINALIZED } else { CONFIRMED };
    let got: Vec<Got> = delivered
        .items
        .iter()
        .filter_map(|item| {
            let signature = item.key.id.as_deref()?.to_owned();
            let slot = item.key.height.unwrap_or_default();
            let shown = Item { slot: Some(slot), signature: Some(signature.clone()), ..Item::default() };
            Some(Got::at(slot, signature, shown, item))
        })
        .collect();
    let delivered_range =
        got.iter().map(|got| got.order.0).min().zip(got.iter().map(|got| got.order.0).max());
    let start = delivered.started_at_ms();
    let end = delivered.ended_at_ms;
    let (window, mut basis) = match (start, slots) {
        (Some(start), Some(slots)) => match window_by_slots(slots, start, end, commitment) {
            Some((first, last)) => (
                Window::Slots(first, last),
                format!(
                    "slots notified on the same endpoint after the subscribe answer, to the {} slot at its end",
                    if commitment == PROCESSED { "last processed" } else { "root" }
                ),
            ),
            None => (
                Window::None,
                "the delivered transactions' slots (no slot was notified in the window)".to_owned(),
            ),
        },
        (Some(start), None) => {
            let lag = if commitment == FINALIZED { FINALIZED_LAG_MS } else { 0 };
            let (from, to) = (start + BLOCK_TIME_MARGIN_MS, end.saturating_sub(BLOCK_TIME_MARGIN_MS + lag));
            let basis = format!(
                "transactions whose block time is from {} to {} UTC (the window less {} s at the start and {} s \
                 at the end; the capture has no slots from this endpoint)",
                time_of_day(from),
                time_of_day(to),
                BLOCK_TIME_MARGIN_MS / 1000,
                (BLOCK_TIME_MARGIN_MS + lag) / 1000
            );
            (Window::Times(from, to), basis)
        }
        (None, _) => (Window::None, "nothing delivered and no subscribe answer recorded".to_owned()),
    };
    if delivered_range.is_some() {
        basis.push_str(", and every delivered transaction's slot");
    }
    let tip = client.slot(asked).await?;
    let (listed, range) = signatures_in(client, address, asked, &window, delivered_range, progress).await?;
    let expected: Vec<Expected> = listed
        .into_iter()
        .map(|info| {
            let item =
                Item { slot: Some(info.slot), signature: Some(info.signature.clone()), ..Item::default() };
            Expected { id: info.signature, order: (info.slot, 0), item }
        })
        .collect();
    let judge = |got: &Got| if got.order.0 > tip { Unmatched::Unsettled } else { Unmatched::Extra };
    let tally = tally(&expected, &got, judge);
    Ok(Check { span: Span { unit: Unit::Slot, range, basis }, tally })
}

/// The address's transactions in the span, oldest first, and the span's slots: pages are
/// read from the newest back until one ends before the span.
async fn signatures_in(
    client: &RpcClient,
    address: &str,
    commitment: &str,
    window: &Window,
    delivered: Option<(u64, u64)>,
    progress: &AuditProgress,
) -> Result<(Vec<SignatureInfo>, Option<(u64, u64)>), CheckError> {
    let in_slots = |slot: u64, range: Option<(u64, u64)>| {
        range.is_some_and(|(first, last)| (first..=last).contains(&slot))
    };
    let slot_range = match window {
        Window::Slots(first, last) => {
            Some(delivered.map_or((*first, *last), |(a, b)| (a.min(*first), b.max(*last))))
        }
        Window::Times(..) | Window::None => delivered,
    };
    let in_time =
        |info: &SignatureInfo| match (window, info.block_time.and_then(|time| u64::try_from(time).ok())) {
            (Window::Times(from, to), Some(time)) => (*from..=*to).contains(&time.saturating_mul(1000)),
            _ => false,
        };
    let before_span = |info: &SignatureInfo| {
        let before_slots = slot_range.is_none_or(|(first, _)| info.slot < first);
        let before_times = match (window, info.block_time) {
            (Window::Times(from, _), Some(time)) => {
                time.saturating_mul(1000) < i64::try_from(*from).unwrap_or(i64::MAX)
            }
            (Window::Times(..), None) => false,
            _ => true,
        };
        before_slots && before_times
    };
    let mut found = Vec::new();
    let mut before: Option<String> = None;
    let (mut low, mut high) = (u64::MAX, 0);
    for page in 0.. {
        if page == MAX_SIGNATURE_PAGES {
            return Err(CheckError::Unusable(format!(
                "{address} has more than {} transactions since the span's start",
                MAX_SIGNATURE_PAGES * MAX_SIGNATURES_PAGE as usize
            )));
        }
        progress.advance(1);
        let listed = client
            .signatures_for_address(address, before.as_deref(), MAX_SIGNATURES_PAGE, commitment)
            .await?;
        let done = listed.len() < MAX_SIGNATURES_PAGE as usize || listed.last().is_none_or(&before_span);
        before = listed.last().map(|info| info.signature.clone());
        for info in listed {
            if in_slots(info.slot, slot_range) || in_time(&info) {
                (low, high) = (low.min(info.slot), high.max(info.slot));
                found.push(info);
            }
        }
        if done {
            break;
        }
    }
    found.reverse();
    let range = match slot_range {
        Some((first, last)) => Some((first.min(low), last.max(high))),
        None => (low <= high).then_some((low, high)),
    };
    // A signature listed twice (pages that overlap as new transactions arrive) counts once.
    let mut seen = HashSet::new();
    found.retain(|info| seen.insert(info.signature.clone()));
    Ok((found, range))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn only_a_processed_stream_says_its_own_commitment() {
        let params = |commitment: &str| json!([{"mentions": ["A"]}, {"commitment": commitment}]);
        assert_eq!(stream_commitment(Some(&params("processed"))).as_deref(), Some("processed"));
        assert_eq!(stream_commitment(Some(&params("confirmed"))), None);
        assert_eq!(stream_commitment(Some(&json!([{"mentions": ["A"]}]))), None);
    }

    #[test]
    fn the_window_ends_at_the_commitment_the_stream_had_reached() {
        let tick = |at_ms, height, root| Tick { at_ms, height, root: Some(root) };
        let slots = [tick(100, 40, 8), tick(500, 41, 9), tick(900, 42, 10), tick(1300, 43, 11)];
        assert_eq!(window_by_slots(&slots, 100, 1000, PROCESSED), Some((41, 41)));
        assert_eq!(window_by_slots(&slots, 100, 1300, PROCESSED), Some((41, 42)));
        assert_eq!(window_by_slots(&slots, 100, 1300, CONFIRMED), None, "the root never passed the start");
        let rooted = [tick(100, 40, 8), tick(500, 41, 39), tick(900, 42, 41)];
        assert_eq!(window_by_slots(&rooted, 100, 1000, CONFIRMED), Some((41, 41)));
    }
}
