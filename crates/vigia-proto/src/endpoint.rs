//! Every endpoint as a type: its path, its method, what it takes and what it answers.
//!
//! One unit struct per endpoint implements [`Endpoint`]; a caller names the endpoint once and
//! gets the path and both body types from it (`Link::call::<endpoint::Fetch>(&request, …)` in
//! `vigia-daemons`). For a `GET`, [`Endpoint::Request`] is the query string (`()`: none); for a
//! `POST`, the JSON body (`()`: an empty body), except where [`Endpoint::CONTENT_TYPE`] says the
//! body is encoded otherwise ([`Standby`], [`Parts`]).
use crate::api::{CommandsAccepted, CommentView, DowntimeView, ItemView, QueueStatus, SchedulerSummary, StatusFilter};
use crate::status::{ArbiterStatus, ReloadOutcome};
use crate::{
    paths, ArbiterHeartbeat as Heartbeat, AssignAck, Assignment, BrokBatch, BrokRequest, CommandBatch, CommandsApplied,
    FetchRequest, FetchResponse, HaNote, HandoverHeld, PartHeld, PartImage, Released, ResultAck, ResultBatch,
    StandbyAck, StandbySync, ValidateRequest, Validity, PART_CONTENT_TYPE, STANDBY_CONTENT_TYPE,
};

/// How an endpoint is called.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

/// The content type of a JSON body.
pub const JSON: &str = "application/json";

/// An endpoint: path, method, request and response.
pub trait Endpoint {
    const PATH: &'static str;
    const METHOD: Method;
    /// How the request body is encoded ([`JSON`] unless said otherwise).
    const CONTENT_TYPE: &'static str = JSON;
    /// The `POST` body, or the `GET` query string; `()` for none.
    type Request;
    /// The answer's body (JSON) on success; errors answer [`crate::ErrorBody`] or, for 409,
    /// [`crate::Stale`].
    type Response;
}

macro_rules! endpoints {
    ($($(#[$doc:meta])* $name:ident: $method:ident $path:expr, $req:ty => $resp:ty $(, $ct:expr)?;)*) => {
        $(
            $(#[$doc])*
            #[derive(Clone, Copy, Debug)]
            pub struct $name;

            impl Endpoint for $name {
                const PATH: &'static str = $path;
                const METHOD: Method = Method::$method;
                $(const CONTENT_TYPE: &'static str = $ct;)?
                type Request = $req;
                type Response = $resp;
            }
        )*
    };
}

endpoints! {
    /// arbiter → any daemon: who are you, what do you run (the health check).
    Identity: Get paths::IDENTITY, () => crate::Identity;
    /// arbiter → any daemon: your work, with a generation that only grows.
    Assign: Post paths::ASSIGN, Assignment => AssignAck;
    /// arbiter → scheduler: a part image, before the assignment that names it.
    Parts: Post paths::PARTS, PartImage => PartHeld, PART_CONTENT_TYPE;
    /// arbiter → master scheduler: the spare's final state, before the assignment (postcard).
    Handover: Post paths::HANDOVER, crate::Handover => HandoverHeld, STANDBY_CONTENT_TYPE;
    /// arbiter → any daemon: stop the work and wait; a scheduler answers its final state.
    Release: Post paths::RELEASE, crate::Release => Released;
    /// poller / reactionner → scheduler: due actions (long-polled).
    Fetch: Post paths::FETCH, FetchRequest => FetchResponse;
    /// poller / reactionner → scheduler: results, re-sent until acknowledged.
    Results: Post paths::RESULTS, ResultBatch => ResultAck;
    /// broker → scheduler: numbered broks after a sequence number.
    Broks: Post paths::BROKS, BrokRequest => BrokBatch;
    /// receiver → scheduler: external command lines, numbered per receiver.
    Commands: Post paths::COMMANDS, CommandBatch => CommandsApplied;
    /// active scheduler → waiting spare: one step of the state stream (postcard).
    Standby: Post paths::STANDBY, StandbySync => StandbyAck, STANDBY_CONTENT_TYPE;
    /// the copies of parts a scheduler keeps for take-over: `(home, seq, changes)` each.
    StandbyCopies: Get paths::STANDBY, () => Vec<(String, u64, usize)>;
    /// scheduler → arbiter, after a freeze: do I still run this part?
    Validate: Post paths::VALIDATE, ValidateRequest => Validity;
    /// master arbiter ⇄ spare arbiter: who leads, with what.
    ArbiterHeartbeat: Post paths::ARBITER_HEARTBEAT, Heartbeat => Heartbeat;
    /// the arbiter's view of every daemon (`vigia status`).
    Status: Get paths::STATUS, () => ArbiterStatus;
    /// reloads the arbiter's configuration (400 with the errors when it is invalid).
    Reload: Post paths::RELOAD, () => ReloadOutcome;
    /// broker: hosts.
    Hosts: Get paths::API_HOSTS, StatusFilter => Vec<ItemView>;
    /// broker: services.
    Services: Get paths::API_SERVICES, StatusFilter => Vec<ItemView>;
    /// broker: unhandled hard problems, hosts then services.
    Problems: Get paths::API_PROBLEMS, StatusFilter => Vec<ItemView>;
    /// broker: downtimes.
    Downtimes: Get paths::API_DOWNTIMES, StatusFilter => Vec<DowntimeView>;
    /// broker: comments.
    Comments: Get paths::API_COMMENTS, StatusFilter => Vec<CommentView>;
    /// broker: how each scheduler link is doing.
    Schedulers: Get paths::API_SCHEDULERS, () => Vec<SchedulerSummary>;
    /// broker: take-overs and give-backs, oldest first.
    Ha: Get paths::API_HA, () => Vec<HaNote>;
    /// receiver: external commands from people and tools, a JSON [`crate::CommandsRequest`]
    /// or plain text lines; its query string is a [`crate::CommandsQuery`] (`?wait=SECONDS`).
    SubmitCommands: Post paths::API_COMMANDS, crate::CommandsRequest => CommandsAccepted;
    /// receiver: commands waiting, per scheduler.
    Queue: Get paths::API_QUEUE, () => QueueStatus;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn describe<E: Endpoint>() -> (&'static str, Method, &'static str) {
        (E::PATH, E::METHOD, E::CONTENT_TYPE)
    }

    #[test]
    fn paths_and_methods_are_the_wire_ones() {
        assert_eq!(describe::<Fetch>(), ("/v1/actions", Method::Post, JSON));
        assert_eq!(describe::<Status>(), ("/v1/status", Method::Get, JSON));
        assert_eq!(
            describe::<Standby>(),
            ("/v1/standby", Method::Post, "application/x-vigia-postcard")
        );
        assert_eq!(describe::<Services>(), ("/api/v1/services", Method::Get, JSON));
        assert_eq!(describe::<SubmitCommands>(), ("/api/v1/commands", Method::Post, JSON));
    }
}
