//! Automation: rules that act by themselves on what happens (domain events), on dates relative
//! to a record (a policy's end − 60 days) and on a schedule, with e-mail templates staff edit.
//!
//! The engine ([`engine`]) runs in the background worker, never in a user's request: a failing
//! rule never fails a save. Each rule acts exactly once per (rule, event) or per (rule, record,
//! date occurrence): the run row with its unique key is written in the same transaction as the
//! rule's actions (see [`engine`]), so restarts, two workers or a re-run never repeat an action.

pub mod actions;
pub mod engine;
pub mod facts;
pub mod log;
pub mod placeholders;
pub mod rules;
pub mod templates;

pub use engine::{Context, Report};
pub use placeholders::Entity;
pub use rules::{
    Action, Anchor, Assignee, Condition, OffsetUnit, Op, Recipient, Rule, RuleDraft, Trigger,
};
