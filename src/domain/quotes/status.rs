//! The life cycle of a quote, as a pure state machine:
//!
//! ```text
//! draft → sent → accepted
//!   │       ├──→ rejected
//!   └───────┴──→ expired   (valid_until passed, by the worker)
//! ```
//!
//! Only a draft's options may change: once sent, the client holds those prices.

crate::text_enum!(QuoteStatus);

/// A state of a quote; the code is what the database stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QuoteStatus {
    Draft,
    Sent,
    Accepted,
    Rejected,
    Expired,
}

impl QuoteStatus {
    pub const ALL: [QuoteStatus; 5] = [
        QuoteStatus::Draft,
        QuoteStatus::Sent,
        QuoteStatus::Accepted,
        QuoteStatus::Rejected,
        QuoteStatus::Expired,
    ];

    pub fn code(self) -> &'static str {
        match self {
            QuoteStatus::Draft => "draft",
            QuoteStatus::Sent => "sent",
            QuoteStatus::Accepted => "accepted",
            QuoteStatus::Rejected => "rejected",
            QuoteStatus::Expired => "expired",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The Spanish word shown on badges and filters.
    pub fn label(self) -> &'static str {
        match self {
            QuoteStatus::Draft => "borrador",
            QuoteStatus::Sent => "enviado",
            QuoteStatus::Accepted => "aceptado",
            QuoteStatus::Rejected => "rechazado",
            QuoteStatus::Expired => "caducado",
        }
    }

    /// CSS class of the status badge.
    pub fn badge_class(self) -> &'static str {
        match self {
            QuoteStatus::Draft => "badge-muted",
            QuoteStatus::Sent => "badge-warn",
            QuoteStatus::Accepted => "badge-ok",
            QuoteStatus::Rejected => "badge-error",
            QuoteStatus::Expired => "badge-muted",
        }
    }

    /// Still open: it may yet be sent, accepted or expire.
    pub fn is_open(self) -> bool {
        matches!(self, QuoteStatus::Draft | QuoteStatus::Sent)
    }

    /// Whether its options may still be added or removed.
    pub fn options_editable(self) -> bool {
        self == QuoteStatus::Draft
    }

    /// The states this one may move to.
    pub fn next(self) -> &'static [QuoteStatus] {
        match self {
            QuoteStatus::Draft => &[QuoteStatus::Sent, QuoteStatus::Expired],
            QuoteStatus::Sent => &[
                QuoteStatus::Accepted,
                QuoteStatus::Rejected,
                QuoteStatus::Expired,
            ],
            QuoteStatus::Accepted | QuoteStatus::Rejected | QuoteStatus::Expired => &[],
        }
    }

    pub fn can_move_to(self, to: QuoteStatus) -> bool {
        self.next().contains(&to)
    }
}

/// Why a transition was refused; the message is shown to staff as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Un presupuesto {} no puede pasar a {}.", from.label(), to.label())]
pub struct TransitionError {
    pub from: QuoteStatus,
    pub to: QuoteStatus,
}

/// Decides whether a quote in `from` may move to `to`.
pub fn check(from: QuoteStatus, to: QuoteStatus) -> Result<(), TransitionError> {
    if from.can_move_to(to) {
        Ok(())
    } else {
        Err(TransitionError { from, to })
    }
}

#[cfg(test)]
mod tests {
    use super::QuoteStatus::*;
    use super::*;

    const ALLOWED: &[(QuoteStatus, QuoteStatus)] = &[
        (Draft, Sent),
        (Draft, Expired),
        (Sent, Accepted),
        (Sent, Rejected),
        (Sent, Expired),
    ];

    #[test]
    fn exactly_the_life_cycle_pairs_are_allowed() {
        for from in QuoteStatus::ALL {
            for to in QuoteStatus::ALL {
                let expected = ALLOWED.contains(&(from, to));
                assert_eq!(check(from, to).is_ok(), expected, "{from:?} → {to:?}");
            }
        }
    }

    #[test]
    fn a_refused_move_says_so_in_spanish() {
        assert_eq!(
            check(Draft, Accepted).unwrap_err().to_string(),
            "Un presupuesto borrador no puede pasar a aceptado."
        );
    }

    #[test]
    fn codes_parse_back_and_labels_are_spanish() {
        for status in QuoteStatus::ALL {
            assert_eq!(QuoteStatus::parse(status.code()), Some(status));
        }
        let labels: Vec<_> = QuoteStatus::ALL.iter().map(|s| s.label()).collect();
        assert_eq!(
            labels,
            ["borrador", "enviado", "aceptado", "rechazado", "caducado"]
        );
    }

    #[test]
    fn only_drafts_change_their_options() {
        let editable: Vec<_> = QuoteStatus::ALL
            .into_iter()
            .filter(|s| s.options_editable())
            .collect();
        assert_eq!(editable, vec![Draft]);
    }
}
