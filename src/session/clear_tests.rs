//! Undoing a Clear of the live view, and what keeping it costs under the cap.

use std::sync::Arc;
use std::time::Duration;

use super::Session;
use crate::backend::Backend;
use crate::capture::CaptureLimits;
use crate::compare::tests::slot;

const STEP: Duration = Duration::from_secs(5);

#[test]
fn what_a_clear_took_is_the_first_to_go_when_arrivals_need_the_room() {
    // The view's share of 80 events is 70.
    let limits = CaptureLimits { max_events: 80, max_bytes: usize::MAX };
    let (backend, mut script) = Backend::scripted(limits, Arc::new(|| {}));
    let mut session = Session::new(backend, limits, &[]);
    script.frames((1..=40).map(|n| slot(1, 1, n, n)));
    session.step(STEP);
    session.clear();
    assert_eq!(session.clear_undoable(), Some(40));

    // 20 more and the 40 kept fit the share: both stay.
    script.frames((41..=60).map(|n| slot(1, 1, n, n)));
    session.step(STEP);
    assert_eq!((session.live().capture.len(), session.clear_undoable()), (20, Some(40)));

    // 20 more do not: the cleared ones go, not a row that arrived.
    script.frames((61..=80).map(|n| slot(1, 1, n, n)));
    session.step(STEP);
    assert_eq!(session.clear_undoable(), None);
    assert_eq!((session.live().capture.len(), session.live().capture.evicted()), (40, 0));
    assert!(!session.undo_clear(), "nothing to put back");
}
