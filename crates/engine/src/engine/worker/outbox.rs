//! The worker's end of the event channel. The worker never waits for its consumer: summaries
//! that do not fit are dropped (a newer one follows), other events queue here until they fit.

use std::collections::VecDeque;
use std::sync::mpsc::{SyncSender, TrySendError};
use std::time::{Duration, Instant};

use crate::engine::EngineEvent;
use crate::measured::Summary;

pub(super) struct Outbox<R> {
    events: SyncSender<EngineEvent<R>>,
    queue: VecDeque<EngineEvent<R>>,
    /// The consumer is gone: nothing more will be read.
    disconnected: bool,
}

impl<R> Outbox<R> {
    pub(super) fn new(events: SyncSender<EngineEvent<R>>) -> Self {
        Self {
            events,
            queue: VecDeque::new(),
            disconnected: false,
        }
    }

    pub(super) fn disconnected(&self) -> bool {
        self.disconnected
    }

    /// Queues `event` behind those still waiting and sends what fits.
    pub(super) fn push(&mut self, event: EngineEvent<R>) {
        self.queue.push_back(event);
        self.flush();
    }

    /// Sends what fits; true when nothing is left waiting.
    pub(super) fn flush(&mut self) -> bool {
        while let Some(event) = self.queue.pop_front() {
            match self.events.try_send(event) {
                Ok(()) => {}
                Err(TrySendError::Full(event)) => {
                    self.queue.push_front(event);
                    return false;
                }
                Err(TrySendError::Disconnected(_)) => {
                    self.disconnected = true;
                    return false;
                }
            }
        }
        true
    }

    /// Sends `summary` if the channel has room; a summary is dropped rather than queued, since
    /// a newer one follows. Call after a [`flush`](Self::flush) that emptied the queue.
    pub(super) fn offer_summary(&mut self, summary: Summary) {
        if let Err(TrySendError::Disconnected(_)) = self
            .events
            .try_send(EngineEvent::Summary(Box::new(summary)))
        {
            self.disconnected = true;
        }
    }

    /// The last events (a final summary, `Finished`), given up to `grace` to be taken.
    pub(super) fn close(mut self, last: impl IntoIterator<Item = EngineEvent<R>>, grace: Duration) {
        if self.disconnected {
            return;
        }
        self.queue.extend(last);
        let deadline = Instant::now() + grace;
        while !self.flush() && !self.disconnected && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}
