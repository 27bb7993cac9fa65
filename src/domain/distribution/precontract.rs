//! The pre-contract information every client receives before a sale (RDL 3/2020, arts.
//! 173-175): who the broker is and where it is registered, how it advises, how it is paid,
//! where to complain, and how it treats personal data. One text for every channel (the taxi
//! quoter shows it on screen, the back-office e-mails or hands it over, e-SORI shows it before
//! acceptance); what was delivered is stored in full ([`super::legal_texts`]).

/// The version of the words below: change it whenever they change.
pub const VERSION: &str = "precontractual-2026-12-v1";

/// The brokerage's identity as the text states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerIdentity {
    pub name: String,
    pub tax_id: String,
    pub dgsfp_key: String,
    pub address: String,
    pub complaints_email: String,
    pub privacy_email: String,
    /// The identity is the development default, not a real registration: the text says so.
    pub example: bool,
}

impl BrokerIdentity {
    /// The development identity (invented data, marked as such) used when the brokerage's is
    /// not configured, and by the demo data.
    pub fn development() -> Self {
        Self {
            name: "Soriano Mediadores, Correduría de Seguros, S.L.".into(),
            tax_id: "B00000000".into(),
            dgsfp_key: "J0000".into(),
            address: "Calle Mayor 1, 28013 Madrid".into(),
            complaints_email: "atencioncliente@sorianomediadores.es".into(),
            privacy_email: "privacidad@sorianomediadores.es".into(),
            example: true,
        }
    }
}

/// One heading of the text with its paragraph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub title: &'static str,
    pub body: String,
}

/// The sections of the text for `broker`.
pub fn sections(broker: &BrokerIdentity) -> Vec<Section> {
    let example = if broker.example {
        "Datos de ejemplo (entorno de desarrollo sin identidad legal configurada). "
    } else {
        ""
    };
    vec![
        Section {
            title: "Quién le atiende",
            body: format!(
                "{example}{} (CIF {}), {}. Somos una correduría de seguros inscrita en el Registro administrativo de distribuidores de seguros y reaseguros de la Dirección General de Seguros y Fondos de Pensiones con la clave {}, que puede comprobar en la web de la DGSFP.",
                broker.name, broker.tax_id, broker.address, broker.dgsfp_key
            ),
        },
        Section {
            title: "Cómo le asesoramos",
            body: "Le damos un asesoramiento basado en un análisis objetivo de las compañías que aparecen en la comparación (no de todo el mercado): le mostramos el precio y lo que cubre cada una y le indicamos cuál se ajusta a las exigencias y necesidades que nos ha expresado, y por qué. No tenemos participación en ninguna aseguradora ni ninguna la tiene en nosotros.".to_owned(),
        },
        Section {
            title: "Cómo cobramos",
            body: "Nuestra retribución es una comisión que paga la compañía con la que contrate, incluida en la prima. Usted no paga nada aparte por nuestro servicio.".to_owned(),
        },
        Section {
            title: "Reclamaciones",
            body: format!(
                "Puede dirigir sus quejas y reclamaciones a nuestro servicio de atención al cliente ({}), que responderá en el plazo legal. Si no está conforme con la respuesta, puede acudir al Servicio de Reclamaciones de la Dirección General de Seguros y Fondos de Pensiones.",
                broker.complaints_email
            ),
        },
        Section {
            title: "Protección de datos",
            body: format!(
                "{} trata sus datos para estudiar y tramitar su seguro con las compañías comparadas, que los recibirán para emitir la póliza. La base es su solicitud (medidas precontractuales) y el cumplimiento de las obligaciones legales de la distribución de seguros. Los conservamos mientras dure la relación y los plazos legales. Puede ejercer sus derechos de acceso, rectificación, supresión, oposición, limitación y portabilidad en {} y reclamar ante la Agencia Española de Protección de Datos.",
                broker.name, broker.privacy_email
            ),
        },
    ]
}

/// The whole text as delivered and stored: title, version, then each section.
pub fn text(broker: &BrokerIdentity) -> String {
    let mut text = format!("Información previa a la contratación (versión {VERSION})\n");
    for section in sections(broker) {
        text.push('\n');
        text.push_str(section.title);
        text.push('\n');
        text.push_str(&section.body);
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn broker(example: bool) -> BrokerIdentity {
        BrokerIdentity {
            name: "Soriano Mediadores, Correduría de Seguros, S.L.".into(),
            tax_id: "B12345674".into(),
            dgsfp_key: "J1234".into(),
            address: "Calle Mayor 1, 28013 Madrid".into(),
            complaints_email: "sac@example.es".into(),
            privacy_email: "dpd@example.es".into(),
            example,
        }
    }

    #[test]
    fn the_text_names_the_broker_its_registry_key_pay_complaints_and_data_protection() {
        let body = text(&broker(false));
        for needle in [
            VERSION,
            "B12345674",
            "clave J1234",
            "comisión",
            "sac@example.es",
            "Servicio de Reclamaciones",
            "dpd@example.es",
            "Agencia Española de Protección de Datos",
        ] {
            assert!(body.contains(needle), "{needle}");
        }
        assert!(!body.contains("Datos de ejemplo"));
        assert!(text(&broker(true)).contains("Datos de ejemplo"));
        assert_eq!(body, text(&broker(false)), "same data, same text");
    }
}
