//! The pipeline of a lead, as a pure state machine:
//!
//! ```text
//! new → contacted → qualified → proposal → negotiation → won
//!   (any open stage may jump forward or back, or end as won / lost)
//! won / lost → an open stage other than new (reopen, with a reason; not once converted)
//! ```
//!
//! [`check`] decides whether a move is allowed and what it needs.

crate::text_enum!(Stage);

/// A stage of a lead; the code is what the database stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    New,
    Contacted,
    Qualified,
    Proposal,
    Negotiation,
    Won,
    Lost,
}

impl Stage {
    pub const ALL: [Stage; 7] = [
        Stage::New,
        Stage::Contacted,
        Stage::Qualified,
        Stage::Proposal,
        Stage::Negotiation,
        Stage::Won,
        Stage::Lost,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Stage::New => "new",
            Stage::Contacted => "contacted",
            Stage::Qualified => "qualified",
            Stage::Proposal => "proposal",
            Stage::Negotiation => "negotiation",
            Stage::Won => "won",
            Stage::Lost => "lost",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The Spanish word of the issue, for columns, badges and the history.
    pub fn label(self) -> &'static str {
        match self {
            Stage::New => "nuevo",
            Stage::Contacted => "contactado",
            Stage::Qualified => "calificado",
            Stage::Proposal => "propuesta",
            Stage::Negotiation => "negociación",
            Stage::Won => "ganado",
            Stage::Lost => "perdido",
        }
    }

    /// CSS class of the stage badge.
    pub fn badge_class(self) -> &'static str {
        match self {
            Stage::New => "badge-warn",
            Stage::Won => "badge-ok",
            Stage::Lost => "badge-muted",
            _ => "badge",
        }
    }

    /// Won and lost end the pipeline; only a reopen moves a lead out of them.
    pub fn is_final(self) -> bool {
        matches!(self, Stage::Won | Stage::Lost)
    }

    /// The stages a lead in `self` may move to, in board order. `converted` leads (won and
    /// turned into a customer) stay won: their history lives on in the customer.
    pub fn next(self, converted: bool) -> Vec<Stage> {
        Stage::ALL
            .into_iter()
            .filter(|&to| allowed(self, to, converted))
            .collect()
    }
}

fn allowed(from: Stage, to: Stage, converted: bool) -> bool {
    if from == to || to == Stage::New {
        // `new` is where leads arrive; going back there would hide that someone touched it.
        return false;
    }
    if from.is_final() {
        return !converted && !to.is_final();
    }
    true
}

/// Why a move was refused; the message is shown to staff as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("Un lead {} no puede pasar a {}.", from.label(), to.label())]
    NotAllowed { from: Stage, to: Stage },
    #[error("Este lead ya es cliente: no se puede reabrir.")]
    Converted,
    #[error("Escriba el motivo por el que se pierde el lead.")]
    LostReasonRequired,
    #[error("Escriba el motivo para reabrir el lead.")]
    ReopenReasonRequired,
}

/// Decides whether a lead in `from` may move to `to` with this `reason`.
pub fn check(from: Stage, to: Stage, reason: &str, converted: bool) -> Result<(), TransitionError> {
    if from.is_final() && converted && from != to {
        return Err(TransitionError::Converted);
    }
    if !allowed(from, to, converted) {
        return Err(TransitionError::NotAllowed { from, to });
    }
    let reason = reason.trim();
    if to == Stage::Lost && reason.is_empty() {
        return Err(TransitionError::LostReasonRequired);
    }
    if from.is_final() && reason.is_empty() {
        return Err(TransitionError::ReopenReasonRequired);
    }
    Ok(())
}

/// Whether a move from `from` to `to` needs a reason (the board asks for it before sending).
pub fn needs_reason(from: Stage, to: Stage) -> bool {
    to == Stage::Lost || from.is_final()
}

#[cfg(test)]
mod tests {
    use super::Stage::*;
    use super::*;

    #[test]
    fn open_stages_move_anywhere_but_back_to_new() {
        for from in [New, Contacted, Qualified, Proposal, Negotiation] {
            for to in Stage::ALL {
                let expected = from != to && to != New;
                assert_eq!(
                    check(from, to, "motivo", false).is_ok(),
                    expected,
                    "{from:?} → {to:?}"
                );
            }
        }
    }

    #[test]
    fn losing_needs_a_reason() {
        assert_eq!(
            check(Contacted, Lost, "  ", false),
            Err(TransitionError::LostReasonRequired)
        );
        assert!(check(Contacted, Lost, "Precio", false).is_ok());
        assert!(check(New, Contacted, "", false).is_ok());
    }

    #[test]
    fn final_stages_only_reopen_with_a_reason() {
        assert_eq!(
            check(Won, Lost, "x", false),
            Err(TransitionError::NotAllowed {
                from: Won,
                to: Lost
            })
        );
        assert_eq!(
            check(Lost, Contacted, "", false),
            Err(TransitionError::ReopenReasonRequired)
        );
        assert!(check(Lost, Contacted, "Vuelve a llamar", false).is_ok());
        assert_eq!(
            check(Lost, New, "x", false),
            Err(TransitionError::NotAllowed {
                from: Lost,
                to: New
            })
        );
    }

    #[test]
    fn a_converted_lead_stays_won() {
        assert_eq!(
            check(Won, Negotiation, "x", true),
            Err(TransitionError::Converted)
        );
        assert!(Won.next(true).is_empty());
        assert_eq!(
            Won.next(false),
            vec![Contacted, Qualified, Proposal, Negotiation]
        );
    }

    #[test]
    fn codes_parse_back_and_labels_are_spanish() {
        for stage in Stage::ALL {
            assert_eq!(Stage::parse(stage.code()), Some(stage));
        }
        assert_eq!(Negotiation.label(), "negociación");
        assert_eq!(
            check(Won, Lost, "x", false).unwrap_err().to_string(),
            "Un lead ganado no puede pasar a perdido."
        );
    }
}
