//! The placeholders an e-mail template may use, per kind of record. A template names the
//! record it speaks about ([`Entity`]); saving refuses any placeholder that record cannot fill,
//! so a template never goes out with a hole in it.

/// The record a template (and a rule) speaks about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Entity {
    Claim,
    Policy,
    Quote,
    Receipt,
    Lead,
    Message,
    Customer,
}

impl Entity {
    pub const ALL: [Entity; 7] = [
        Entity::Claim,
        Entity::Policy,
        Entity::Quote,
        Entity::Receipt,
        Entity::Lead,
        Entity::Message,
        Entity::Customer,
    ];

    /// The value stored in `email_templates.entity` and `domain_events.entity_type`.
    pub fn code(self) -> &'static str {
        match self {
            Entity::Claim => "claim",
            Entity::Policy => "policy",
            Entity::Quote => "quote",
            Entity::Receipt => "receipt",
            Entity::Lead => "lead",
            Entity::Message => "message",
            Entity::Customer => "customer",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.code() == code)
    }

    /// Spanish name, singular.
    pub fn label(self) -> &'static str {
        match self {
            Entity::Claim => "Siniestro",
            Entity::Policy => "Póliza",
            Entity::Quote => "Presupuesto",
            Entity::Receipt => "Recibo",
            Entity::Lead => "Lead",
            Entity::Message => "Mensaje de cliente",
            Entity::Customer => "Cliente",
        }
    }
}

/// One placeholder: `{{name}}` in a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placeholder {
    pub name: &'static str,
    /// What it becomes, in Spanish, for the editor's help.
    pub description: &'static str,
}

const fn p(name: &'static str, description: &'static str) -> Placeholder {
    Placeholder { name, description }
}

/// Placeholders every record with a client can fill.
const CLIENT: [Placeholder; 5] = [
    p(
        "nombre_cliente",
        "Nombre del cliente para el saludo («Ana»)",
    ),
    p(
        "nombre_completo_cliente",
        "Nombre completo o razón social del cliente",
    ),
    p("enlace_portal", "Enlace a e-SORI, a la página del registro"),
    p("nombre_mediador", "Nombre del agente que lleva el registro"),
    p("fecha_hoy", "Fecha del envío (dd/mm/aaaa)"),
];

const CLAIM: [Placeholder; 4] = [
    p("numero_siniestro", "Número del siniestro"),
    p("estado_siniestro", "Estado del siniestro («peritado»)"),
    p("fecha_siniestro", "Fecha en que ocurrió el siniestro"),
    p("numero_poliza", "Número de la póliza del siniestro"),
];

const POLICY: [Placeholder; 7] = [
    p("numero_poliza", "Número de la póliza"),
    p("aseguradora", "Compañía aseguradora"),
    p("ramo", "Ramo («Taxi», «Hogar»)"),
    p("fecha_vencimiento", "Fecha de vencimiento de la póliza"),
    p(
        "prima_actual",
        "Prima total del periodo actual («612,40 €»)",
    ),
    p(
        "prima_nueva",
        "Prima del nuevo periodo anunciada por la compañía (o la actual si no hay)",
    ),
    p(
        "variacion_prima",
        "Variación de la prima en porcentaje («+12,5 %»)",
    ),
];

const QUOTE: [Placeholder; 4] = [
    p("numero_presupuesto", "Número del presupuesto"),
    p(
        "enlace_presupuesto",
        "Enlace para ver el presupuesto (e-SORI o enlace público)",
    ),
    p(
        "validez_presupuesto",
        "Fecha hasta la que vale el presupuesto",
    ),
    p("ramo", "Ramo del presupuesto"),
];

const RECEIPT: [Placeholder; 6] = [
    p("numero_recibo", "Número del recibo"),
    p("importe_recibo", "Importe del recibo («85,20 €»)"),
    p("vencimiento_recibo", "Fecha de vencimiento del recibo"),
    p("numero_poliza", "Número de la póliza del recibo"),
    p(
        "motivo_devolucion",
        "Motivo de la devolución dado por el banco",
    ),
    p("siguiente_paso", "Qué ocurre ahora con el recibo devuelto"),
];

const LEAD: [Placeholder; 4] = [
    p("nombre_cliente", "Nombre de la persona interesada"),
    p("ramo", "Ramo que le interesa"),
    p("origen", "Por dónde llegó («landing», «teléfono»)"),
    p("fecha_hoy", "Fecha del envío (dd/mm/aaaa)"),
];

const MESSAGE: [Placeholder; 1] = [p("asunto_mensaje", "Asunto de la conversación")];

/// The unsubscribe link, in commercial templates only (LSSI art. 21).
pub const UNSUBSCRIBE: Placeholder = p(
    "enlace_baja",
    "Enlace para dejar de recibir comunicaciones comerciales",
);

/// The placeholders a template about `entity` may use (without [`UNSUBSCRIBE`]).
pub fn for_entity(entity: Entity) -> Vec<Placeholder> {
    let own: &[Placeholder] = match entity {
        Entity::Claim => &CLAIM,
        Entity::Policy => &POLICY,
        Entity::Quote => &QUOTE,
        Entity::Receipt => &RECEIPT,
        Entity::Lead => return LEAD.to_vec(),
        Entity::Message => &MESSAGE,
        Entity::Customer => &[],
    };
    let mut all = CLIENT.to_vec();
    all.extend_from_slice(own);
    all
}

/// Whether a template about `entity` in `marketing` (or service) may use `name`.
pub fn allowed(entity: Entity, marketing: bool, name: &str) -> bool {
    (marketing && name == UNSUBSCRIBE.name) || for_entity(entity).iter().any(|p| p.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entity_round_trips_and_names_are_unique() {
        for entity in Entity::ALL {
            assert_eq!(Entity::parse(entity.code()), Some(entity));
            let names: Vec<&str> = for_entity(entity).iter().map(|p| p.name).collect();
            let mut unique = names.clone();
            unique.sort_unstable();
            unique.dedup();
            assert_eq!(names.len(), unique.len(), "{entity:?}");
        }
    }

    #[test]
    fn unsubscribe_only_in_marketing() {
        assert!(allowed(Entity::Customer, true, "enlace_baja"));
        assert!(!allowed(Entity::Customer, false, "enlace_baja"));
        assert!(!allowed(Entity::Lead, false, "numero_poliza"));
        assert!(allowed(Entity::Claim, false, "numero_siniestro"));
    }
}
