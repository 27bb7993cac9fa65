//! The ISO 20022 reason codes a bank gives for a rejected or returned direct debit, with what
//! they mean in Spanish and what happens next to the receipt and its mandate.

/// What a returned receipt needs next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    /// Present it again in a later remittance (funds, a technical fault since fixed).
    Retry,
    /// The account is wrong, closed or blocked, or the bank holds no valid mandate: the
    /// mandate in force stops, and the client is asked for a new account and mandate.
    NewMandate,
    /// The debtor refused or asked for a refund: an agent calls the client.
    ContactClient,
    /// The debtor has died: the mandate stops and the agent takes over.
    Deceased,
}

/// One reason code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reason {
    pub code: &'static str,
    pub text: &'static str,
    pub next: NextStep,
}

const REASONS: &[Reason] = &[
    Reason {
        code: "AM04",
        text: "Fondos insuficientes",
        next: NextStep::Retry,
    },
    Reason {
        code: "AC01",
        text: "Número de cuenta incorrecto",
        next: NextStep::NewMandate,
    },
    Reason {
        code: "AC04",
        text: "Cuenta cancelada",
        next: NextStep::NewMandate,
    },
    Reason {
        code: "AC06",
        text: "Cuenta bloqueada",
        next: NextStep::NewMandate,
    },
    Reason {
        code: "AC13",
        text: "La cuenta es de un consumidor (no admite B2B)",
        next: NextStep::NewMandate,
    },
    Reason {
        code: "AG01",
        text: "Operación no permitida en esta cuenta",
        next: NextStep::NewMandate,
    },
    Reason {
        code: "AG02",
        text: "Código de operación o formato no válido",
        next: NextStep::Retry,
    },
    Reason {
        code: "AM05",
        text: "Adeudo duplicado",
        next: NextStep::ContactClient,
    },
    Reason {
        code: "BE05",
        text: "Acreedor no reconocido",
        next: NextStep::Retry,
    },
    Reason {
        code: "FF01",
        text: "Formato de fichero no válido",
        next: NextStep::Retry,
    },
    Reason {
        code: "FF05",
        text: "Tipo de adeudo incorrecto",
        next: NextStep::Retry,
    },
    Reason {
        code: "MD01",
        text: "Sin mandato",
        next: NextStep::NewMandate,
    },
    Reason {
        code: "MD02",
        text: "Faltan datos del mandato o son incorrectos",
        next: NextStep::NewMandate,
    },
    Reason {
        code: "MD06",
        text: "Reembolso solicitado por el cliente",
        next: NextStep::ContactClient,
    },
    Reason {
        code: "MD07",
        text: "Titular fallecido",
        next: NextStep::Deceased,
    },
    Reason {
        code: "MS02",
        text: "Rechazado por el cliente",
        next: NextStep::ContactClient,
    },
    Reason {
        code: "MS03",
        text: "Motivo no especificado por el banco",
        next: NextStep::ContactClient,
    },
    Reason {
        code: "RC01",
        text: "BIC incorrecto",
        next: NextStep::Retry,
    },
    Reason {
        code: "RR01",
        text: "Faltan datos del deudor (normativa)",
        next: NextStep::NewMandate,
    },
    Reason {
        code: "RR02",
        text: "Falta el nombre o la dirección del deudor (normativa)",
        next: NextStep::Retry,
    },
    Reason {
        code: "RR03",
        text: "Falta el nombre o la dirección del acreedor (normativa)",
        next: NextStep::Retry,
    },
    Reason {
        code: "RR04",
        text: "Motivo normativo",
        next: NextStep::ContactClient,
    },
    Reason {
        code: "SL01",
        text: "Servicio específico del banco del deudor",
        next: NextStep::ContactClient,
    },
];

/// The reason of `code` (case and spaces ignored); a code this table does not know is a
/// refusal to look at with the client.
pub fn reason(code: &str) -> Reason {
    let code = code.trim().to_uppercase();
    REASONS
        .iter()
        .find(|r| r.code == code)
        .copied()
        .unwrap_or(Reason {
            code: "MS03",
            text: "Motivo no especificado por el banco",
            next: NextStep::ContactClient,
        })
}

/// Whether `code` is one of the codes above.
pub fn is_known(code: &str) -> bool {
    REASONS.iter().any(|r| r.code == code)
}

/// Every code, for the form where staff record a return by hand: (code, "AM04 · Fondos
/// insuficientes").
pub fn choices() -> Vec<(&'static str, String)> {
    REASONS
        .iter()
        .map(|r| (r.code, format!("{} · {}", r.code, r.text)))
        .collect()
}

/// The codes whose receipts may go in a later remittance again.
pub fn retryable() -> Vec<&'static str> {
    REASONS
        .iter()
        .filter(|r| r.next == NextStep::Retry)
        .map(|r| r.code)
        .collect()
}

impl Reason {
    /// What the receipt and the agent's task say: "AM04 · Fondos insuficientes: se puede
    /// volver a remesar".
    pub fn describe(&self) -> String {
        let next = match self.next {
            NextStep::Retry => "se puede volver a remesar",
            NextStep::NewMandate => "pida al cliente una cuenta y un mandato nuevos",
            NextStep::ContactClient => "llame al cliente antes de volver a cobrarlo",
            NextStep::Deceased => "el mandato queda de baja; hable con los herederos",
        };
        format!("{} · {}: {next}", self.code, self.text)
    }

    /// The mandate in force can no longer be used.
    pub fn ends_mandate(&self) -> bool {
        matches!(self.next, NextStep::NewMandate | NextStep::Deceased)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_code_says_what_comes_next() {
        assert_eq!(reason("am04").next, NextStep::Retry);
        assert!(reason("AC04").ends_mandate());
        assert!(reason("MD07").ends_mandate());
        assert!(!reason("MD06").ends_mandate());
        assert_eq!(reason("ZZ99").code, "MS03");
        assert!(retryable().contains(&"AM04"));
        assert!(!retryable().contains(&"MD06"));
        assert!(
            reason("AM04")
                .describe()
                .starts_with("AM04 · Fondos insuficientes")
        );
        let codes: std::collections::HashSet<_> = REASONS.iter().map(|r| r.code).collect();
        assert_eq!(codes.len(), REASONS.len());
    }
}
