//! The life cycle of a claim, as a pure state machine:
//!
//! ```text
//! open → in_progress → assessed → accepted → paid → closed
//!                               ↘ rejected ──────────↗
//! closed → in_progress (reopen, with a reason)
//! ```
//!
//! [`check`] decides whether a change is allowed and what it needs (a reason, an amount).

crate::text_enum!(ClaimStatus);

/// A state of a claim; the code is what the database stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClaimStatus {
    Open,
    InProgress,
    Assessed,
    Accepted,
    Rejected,
    Paid,
    Closed,
}

impl ClaimStatus {
    pub const ALL: [ClaimStatus; 7] = [
        ClaimStatus::Open,
        ClaimStatus::InProgress,
        ClaimStatus::Assessed,
        ClaimStatus::Accepted,
        ClaimStatus::Rejected,
        ClaimStatus::Paid,
        ClaimStatus::Closed,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ClaimStatus::Open => "open",
            ClaimStatus::InProgress => "in_progress",
            ClaimStatus::Assessed => "assessed",
            ClaimStatus::Accepted => "accepted",
            ClaimStatus::Rejected => "rejected",
            ClaimStatus::Paid => "paid",
            ClaimStatus::Closed => "closed",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The Spanish word of DOMAIN.md, for badges and the timeline.
    pub fn label(self) -> &'static str {
        match self {
            ClaimStatus::Open => "abierto",
            ClaimStatus::InProgress => "en trámite",
            ClaimStatus::Assessed => "peritado",
            ClaimStatus::Accepted => "aceptado",
            ClaimStatus::Rejected => "rechazado",
            ClaimStatus::Paid => "pagado",
            ClaimStatus::Closed => "cerrado",
        }
    }

    /// CSS class of the status badge.
    pub fn badge_class(self) -> &'static str {
        match self {
            ClaimStatus::Open => "badge-warn",
            ClaimStatus::InProgress | ClaimStatus::Assessed => "badge",
            ClaimStatus::Accepted | ClaimStatus::Paid => "badge-ok",
            ClaimStatus::Rejected => "badge-error",
            ClaimStatus::Closed => "badge-muted",
        }
    }

    /// Still waiting for someone: shown in the handlers' queue.
    pub fn is_pending(self) -> bool {
        !matches!(
            self,
            ClaimStatus::Paid | ClaimStatus::Closed | ClaimStatus::Rejected
        )
    }

    /// The states this one may move to, in the order the page offers them.
    pub fn next(self) -> &'static [ClaimStatus] {
        match self {
            ClaimStatus::Open => &[ClaimStatus::InProgress],
            ClaimStatus::InProgress => &[ClaimStatus::Assessed],
            ClaimStatus::Assessed => &[ClaimStatus::Accepted, ClaimStatus::Rejected],
            ClaimStatus::Accepted => &[ClaimStatus::Paid],
            ClaimStatus::Rejected => &[ClaimStatus::Closed],
            ClaimStatus::Paid => &[ClaimStatus::Closed],
            ClaimStatus::Closed => &[ClaimStatus::InProgress],
        }
    }

    pub fn can_move_to(self, to: ClaimStatus) -> bool {
        self.next().contains(&to)
    }

    /// The button that moves a claim from `self` to `to`.
    pub fn action_label(self, to: ClaimStatus) -> &'static str {
        match (self, to) {
            (ClaimStatus::Closed, ClaimStatus::InProgress) => "Reabrir",
            (_, ClaimStatus::InProgress) => "Pasar a en trámite",
            (_, ClaimStatus::Assessed) => "Marcar como peritado",
            (_, ClaimStatus::Accepted) => "Aceptar",
            (_, ClaimStatus::Rejected) => "Rechazar",
            (_, ClaimStatus::Paid) => "Registrar el pago",
            (_, ClaimStatus::Closed) => "Cerrar",
            (_, ClaimStatus::Open) => "Abrir",
        }
    }

    /// What a move needs besides the target state.
    pub fn requirement(self, to: ClaimStatus) -> Requirement {
        match (self, to) {
            (ClaimStatus::Closed, ClaimStatus::InProgress) | (_, ClaimStatus::Rejected) => {
                Requirement::Reason
            }
            (_, ClaimStatus::Accepted) => Requirement::AcceptedAmount,
            (_, ClaimStatus::Paid) => Requirement::PaidAmount,
            _ => Requirement::Nothing,
        }
    }
}

/// What a transition asks for on its form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requirement {
    /// An optional note only.
    Nothing,
    /// A reason (required note): rejecting and reopening.
    Reason,
    /// The amount the carrier accepts.
    AcceptedAmount,
    /// The amount paid, not above the accepted one.
    PaidAmount,
}

/// Why a transition was refused; the message is shown to staff as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("Un siniestro {} no puede pasar a {}.", from.label(), to.label())]
    NotAllowed { from: ClaimStatus, to: ClaimStatus },
    #[error("Escriba el motivo.")]
    ReasonRequired,
    #[error("Escriba el importe aceptado.")]
    AcceptedAmountRequired,
    #[error("Escriba el importe pagado.")]
    PaidAmountRequired,
    #[error("El importe pagado no puede superar el aceptado ({accepted}).", accepted = crate::money::format_cents(*accepted))]
    PaidAboveAccepted { accepted: i64 },
}

/// Decides whether a claim in `from` (with `accepted_cents` recorded) may move to `to` with
/// this `note` and `amount_cents` (the accepted amount when accepting, the paid one when paying).
pub fn check(
    from: ClaimStatus,
    to: ClaimStatus,
    note: &str,
    amount_cents: Option<i64>,
    accepted_cents: Option<i64>,
) -> Result<(), TransitionError> {
    if !from.can_move_to(to) {
        return Err(TransitionError::NotAllowed { from, to });
    }
    match from.requirement(to) {
        Requirement::Nothing => Ok(()),
        Requirement::Reason if note.trim().is_empty() => Err(TransitionError::ReasonRequired),
        Requirement::Reason => Ok(()),
        Requirement::AcceptedAmount if amount_cents.is_none() => {
            Err(TransitionError::AcceptedAmountRequired)
        }
        Requirement::AcceptedAmount => Ok(()),
        Requirement::PaidAmount => {
            let paid = amount_cents.ok_or(TransitionError::PaidAmountRequired)?;
            let accepted = accepted_cents.unwrap_or(0);
            if paid > accepted {
                Err(TransitionError::PaidAboveAccepted { accepted })
            } else {
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ClaimStatus::*;
    use super::*;

    const ALLOWED: &[(ClaimStatus, ClaimStatus)] = &[
        (Open, InProgress),
        (InProgress, Assessed),
        (Assessed, Accepted),
        (Assessed, Rejected),
        (Accepted, Paid),
        (Paid, Closed),
        (Rejected, Closed),
        (Closed, InProgress),
    ];

    #[test]
    fn exactly_the_life_cycle_pairs_are_allowed() {
        for from in ClaimStatus::ALL {
            for to in ClaimStatus::ALL {
                let expected = ALLOWED.contains(&(from, to));
                assert_eq!(from.can_move_to(to), expected, "{from:?} → {to:?}");
                // With everything a move could need, `check` agrees with the table.
                let result = check(from, to, "motivo", Some(100), Some(100));
                assert_eq!(result.is_ok(), expected, "{from:?} → {to:?}: {result:?}");
                if !expected {
                    assert_eq!(result, Err(TransitionError::NotAllowed { from, to }));
                }
            }
        }
    }

    #[test]
    fn a_refused_move_says_so_in_spanish() {
        let error = check(Open, Paid, "", None, None).unwrap_err();
        assert_eq!(
            error.to_string(),
            "Un siniestro abierto no puede pasar a pagado."
        );
    }

    #[test]
    fn rejecting_and_reopening_need_a_reason() {
        assert_eq!(
            check(Assessed, Rejected, "  ", None, None),
            Err(TransitionError::ReasonRequired)
        );
        assert_eq!(
            check(Closed, InProgress, "", None, None),
            Err(TransitionError::ReasonRequired)
        );
        assert!(check(Closed, InProgress, "Nueva factura", None, None).is_ok());
        assert!(check(Open, InProgress, "", None, None).is_ok());
    }

    #[test]
    fn accepting_needs_the_accepted_amount() {
        assert_eq!(
            check(Assessed, Accepted, "", None, None),
            Err(TransitionError::AcceptedAmountRequired)
        );
        assert!(check(Assessed, Accepted, "", Some(0), None).is_ok());
    }

    #[test]
    fn paying_needs_an_amount_not_above_the_accepted_one() {
        assert_eq!(
            check(Accepted, Paid, "", None, Some(1000)),
            Err(TransitionError::PaidAmountRequired)
        );
        assert_eq!(
            check(Accepted, Paid, "", Some(1001), Some(1000)),
            Err(TransitionError::PaidAboveAccepted { accepted: 1000 })
        );
        assert!(check(Accepted, Paid, "", Some(1000), Some(1000)).is_ok());
        assert!(check(Accepted, Paid, "", Some(500), Some(1000)).is_ok());
    }

    #[test]
    fn the_queue_holds_claims_still_waiting() {
        let pending: Vec<_> = ClaimStatus::ALL
            .into_iter()
            .filter(|s| s.is_pending())
            .collect();
        assert_eq!(pending, vec![Open, InProgress, Assessed, Accepted]);
    }

    #[test]
    fn codes_parse_back_and_labels_are_spanish() {
        for status in ClaimStatus::ALL {
            assert_eq!(ClaimStatus::parse(status.code()), Some(status));
        }
        assert_eq!(InProgress.label(), "en trámite");
        assert_eq!(Assessed.label(), "peritado");
        assert_eq!(ClaimStatus::parse("pagado"), None);
    }
}
