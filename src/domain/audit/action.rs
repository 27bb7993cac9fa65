//! What an audit entry records: one code per kind of event.

/// Declares the actions once: variant, stored code, Spanish label. `code()`, `label()`,
/// `parse()` and `ALL` cannot drift apart.
macro_rules! actions {
    ($($(#[$meta:meta])* $variant:ident => $code:literal, $label:literal;)*) => {
        /// A kind of audited event. The code is what the database stores; never rename one
        /// (old rows keep it), add a new variant instead.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Action {
            $($(#[$meta])* $variant,)*
        }

        impl Action {
            /// Every action, in the order of the filter's select.
            pub const ALL: &'static [Action] = &[$(Action::$variant,)*];

            /// The stored code, e.g. `staff.sign_in`.
            pub fn code(self) -> &'static str {
                match self {
                    $(Action::$variant => $code,)*
                }
            }

            /// What the audit page shows.
            pub fn label(self) -> &'static str {
                match self {
                    $(Action::$variant => $label,)*
                }
            }

            /// The action of a stored code; `None` for a code this version does not know.
            pub fn parse(code: &str) -> Option<Self> {
                match code {
                    $($code => Some(Action::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

actions! {
    /// A staff member signed in (after the second factor, when there is one).
    SignIn => "staff.sign_in", "Inicio de sesión";
    /// Wrong e-mail, password or code. The actor label is the e-mail typed.
    SignInFailed => "staff.sign_in_failed", "Acceso fallido";
    SignOut => "staff.sign_out", "Cierre de sesión";
    /// Too many failed attempts: sign-in refused for a while.
    LockedOut => "staff.locked_out", "Acceso bloqueado por intentos fallidos";
    PasswordChanged => "staff.password_changed", "Contraseña cambiada";
    PasswordResetRequested => "staff.password_reset_requested", "Restablecimiento de contraseña solicitado";
    PasswordReset => "staff.password_reset", "Contraseña restablecida";
    TotpEnabled => "staff.totp_enabled", "Verificación en dos pasos activada";
    TotpDisabled => "staff.totp_disabled", "Verificación en dos pasos desactivada";
    RecoveryCodeUsed => "staff.recovery_code_used", "Código de recuperación usado";
    RecoveryCodesRegenerated => "staff.recovery_codes_regenerated", "Códigos de recuperación regenerados";
    StaffCreated => "staff.created", "Alta de empleado";
    StaffRoleChanged => "staff.role_changed", "Cambio de rol de empleado";
    StaffDisabled => "staff.disabled", "Baja de empleado";
    StaffEnabled => "staff.enabled", "Reactivación de empleado";
    /// An administrator removed someone's second factor (lost phone).
    StaffTotpReset => "staff.totp_reset", "Verificación en dos pasos restablecida por un administrador";
    TwoFactorPolicyChanged => "security.two_factor_policy_changed", "Cambio de la política de verificación en dos pasos";
    /// A session ended from "Mi cuenta" or by an administrator, not by signing out.
    SessionEnded => "staff.session_ended", "Sesión cerrada a distancia";
    /// A staff member asked for the weekly analytics digest, or stopped it, in "Mi cuenta".
    /// Details: `{"resumen_semanal": {"before": .., "after": ..}}`.
    WeeklyDigestChanged => "staff.weekly_digest_changed", "Cambio de la suscripción al resumen semanal de analítica";
    /// An administrator retried a failed e-mail of the outbox.
    EmailRetried => "outbox.email_retried", "Reintento de envío de correo";
    /// A file was attached to a customer, policy or claim.
    DocumentUploaded => "document.uploaded", "Documento subido";
    /// A document was shown to or hidden from the client in e-SORI.
    DocumentVisibilityChanged => "document.visibility_changed", "Visibilidad de documento cambiada";
    /// A PDF was generated from a record (a first version or a new one).
    DocumentGenerated => "document.generated", "Documento generado";
    /// A new file replaced the current version of a document (the old one is kept).
    DocumentVersionAdded => "document.version_added", "Nueva versión de documento";
    /// A document was e-mailed as an attachment.
    DocumentSent => "document.sent", "Documento enviado por correo";
    ClaimOpened => "claim.opened", "Apertura de siniestro";
    /// Details: `{"estado": {"before": .., "after": ..}}` and the amounts recorded.
    ClaimStatusChanged => "claim.status_changed", "Cambio de estado de siniestro";
    ClaimNoteAdded => "claim.note_added", "Nota en siniestro";
    ClaimAssigned => "claim.assigned", "Asignación de tramitador de siniestro";
    TaskCreated => "task.created", "Alta de tarea";
    TaskCompleted => "task.completed", "Tarea completada";
    TaskReassigned => "task.reassigned", "Tarea reasignada";
    LandingCreated => "landing.created", "Alta de landing";
    LandingUpdated => "landing.updated", "Cambio de landing";
    LandingPublished => "landing.published", "Landing publicada";
    LandingUnpublished => "landing.unpublished", "Landing retirada";
    LandingVariantCreated => "landing.variant_created", "Alta de variante de landing";
    LandingVariantUpdated => "landing.variant_updated", "Cambio de variante de landing";
    /// Which agents take the new leads of each line.
    LeadAssignmentChanged => "lead.assignment_changed", "Cambio del reparto de leads";
    BlogPostCreated => "blog.post_created", "Alta de entrada del blog";
    BlogPostUpdated => "blog.post_updated", "Cambio de entrada del blog";
    BlogCoverChanged => "blog.cover_changed", "Cambio de portada de una entrada del blog";
    CustomerCreated => "customer.created", "Alta de cliente";
    /// Details: `{"campo": {"before": .., "after": ..}}` of the changed fields.
    CustomerUpdated => "customer.updated", "Modificación de cliente";
    /// Recorded on both the survivor and the duplicate.
    CustomerMerged => "customer.merged", "Fusión de clientes";
    CustomerConsentChanged => "customer.consent_changed", "Cambio de consentimiento RGPD";
    CustomerInteractionLogged => "customer.interaction_logged", "Interacción con cliente registrada";
    PolicyCreated => "policy.created", "Alta de póliza";
    PolicyCancelled => "policy.cancelled", "Anulación de póliza";
    PolicySuspended => "policy.suspended", "Suspensión de póliza";
    PolicyReactivated => "policy.reactivated", "Reactivación de póliza";
    PolicyRenewed => "policy.renewed", "Renovación de póliza";
    /// A suplemento: a change to a live policy from an effective date.
    PolicyEndorsed => "policy.endorsed", "Suplemento de póliza";
    /// The end date passed without a renewal.
    PolicyExpired => "policy.expired", "Vencimiento de póliza";
    QuoteCreated => "quote.created", "Alta de presupuesto";
    /// Options added, removed or chosen.
    QuoteUpdated => "quote.updated", "Modificación de presupuesto";
    QuoteSent => "quote.sent", "Envío de presupuesto";
    /// Details: the option, the policy issued and the customer.
    QuoteAccepted => "quote.accepted", "Aceptación de presupuesto";
    QuoteRejected => "quote.rejected", "Rechazo de presupuesto";
    /// The validity passed (recorded by the system).
    QuoteExpired => "quote.expired", "Caducidad de presupuesto";
    /// The client accepted one option in e-SORI (the policy is then issued by staff).
    QuoteAcceptedByClient => "quote.accepted_by_client", "Aceptación del cliente en e-SORI";
    /// A new draft of a carrier's taxi tariff, copied from its published version.
    TaxiTariffDraftCreated => "taxi_tariff.draft_created", "Borrador de tarifa de taxi creado";
    /// Details: `{"tarifa": {"before": .., "after": ..}}` (the whole rules document).
    TaxiTariffUpdated => "taxi_tariff.updated", "Tarifa de taxi modificada";
    TaxiTariffPublished => "taxi_tariff.published", "Tarifa de taxi publicada";
    /// A driver asked for a taxi policy from the quoter (actor: the e-mail given).
    TaxiQuoteRequested => "taxi.quote_requested", "Solicitud de seguro de taxi";
    /// A lead entered by hand in the back-office (landing forms are audited by their feature).
    LeadCreated => "lead.created", "Alta de lead";
    /// Details: `{"etapa": {"before": .., "after": ..}, "motivo": ..}`.
    LeadStageChanged => "lead.stage_changed", "Cambio de etapa de lead";
    LeadInteractionLogged => "lead.interaction_logged", "Interacción con lead registrada";
    LeadNextActionSet => "lead.next_action_set", "Próxima acción de lead";
    LeadAssigned => "lead.assigned", "Asignación de comercial de lead";
    /// The lead became a customer (new or existing one).
    LeadConverted => "lead.converted", "Conversión de lead en cliente";
    /// Staff sent a customer the e-SORI invitation link.
    ClientInvited => "client.invited", "Invitación a e-SORI";
    /// A client chose a password through an invitation, registration or reset link.
    ClientPasswordSet => "client.password_set", "Contraseña de e-SORI establecida";
    ClientSignIn => "client.sign_in", "Acceso a e-SORI";
    /// Wrong e-mail or password in e-SORI. The actor label is the e-mail typed.
    ClientSignInFailed => "client.sign_in_failed", "Acceso fallido a e-SORI";
    /// A client asked to change their e-mail; details carry the new address (not yet valid).
    ClientEmailChangeRequested => "client.email_change_requested", "Solicitud de cambio de correo en e-SORI";
    ClientEmailChangeCancelled => "client.email_change_cancelled", "Cambio de correo cancelado en e-SORI";
    /// The link sent to the new address was used: login and customer e-mail changed.
    ClientEmailChanged => "client.email_changed", "Correo cambiado en e-SORI";
    ClientTotpEnabled => "client.totp_enabled", "Verificación en dos pasos activada en e-SORI";
    ClientTotpDisabled => "client.totp_disabled", "Verificación en dos pasos desactivada en e-SORI";
    ClientRecoveryCodeUsed => "client.recovery_code_used", "Código de recuperación usado en e-SORI";
    ClientPasswordChanged => "client.password_changed", "Contraseña cambiada en e-SORI";
    /// Details: how many sessions ended (`sesiones`).
    ClientSessionsEnded => "client.sessions_ended", "Sesiones de e-SORI cerradas en otros dispositivos";
    ClientRecoveryCodesRegenerated => "client.recovery_codes_regenerated", "Códigos de recuperación renovados en e-SORI";
    /// A client asked in e-SORI for their data to be erased (a task is created for staff).
    ErasureRequested => "customer.erasure_requested", "Solicitud de supresión de datos";
    /// Staff answered a client's thread in the inbox.
    MessageReplied => "message.replied", "Respuesta a un mensaje de cliente";
    /// Details: the receipt number, its policy, the date and the amount.
    ReceiptCollected => "receipt.collected", "Cobro de recibo";
    /// Details: as collected, with the bank's reason (`motivo`).
    ReceiptReturned => "receipt.returned", "Devolución de recibo";
    ReceiptCancelled => "receipt.cancelled", "Anulación de recibo";
    /// A carrier's draft settlement created or given the lines that arrived since.
    SettlementDrafted => "settlement.drafted", "Borrador de liquidación";
    /// Details: the share before and after, in basis points (`participacion`).
    AgentShareChanged => "staff.agent_share_changed", "Participación en comisiones cambiada";
    /// Sent to the carrier: its lines are frozen.
    SettlementIssued => "settlement.issued", "Emisión de liquidación";
    /// Details: the date, the amount expected and received, and the difference.
    SettlementPaid => "settlement.paid", "Cobro de liquidación";
    /// A list taken out to a file. Details: the list, the format, the filters and the rows.
    ListExported => "list.exported", "Exportación de un listado";
    /// A carrier, line of business or product added to the catalogue. Details: what was saved.
    CatalogCreated => "catalog.created", "Alta en el catálogo";
    /// Details: the entry as saved.
    CatalogUpdated => "catalog.updated", "Cambio en el catálogo";
    CatalogDeactivated => "catalog.deactivated", "Baja en el catálogo";
    CatalogActivated => "catalog.activated", "Reactivación en el catálogo";
    /// Details: from when, and the new-business and renewal percentages.
    CommissionRateAdded => "catalog.commission_rate_added", "Nueva comisión de un producto";
    /// A file of the book imported. Details: the file, its SHA-256 and the rows created,
    /// changed, unchanged and refused.
    ImportApplied => "import.applied", "Importación de datos";
    /// The brokerage's SEPA creditor settings saved. Details: as saved.
    SepaSettingsChanged => "sepa.settings_changed", "Ajustes de cobro SEPA";
    /// Details: the reference, scheme, signature date and the mandate it replaces.
    MandateCreated => "sepa.mandate_created", "Alta de mandato SEPA";
    /// The debtor's account changed: the next collection tells the bank (AmdmntInd).
    MandateAmended => "sepa.mandate_amended", "Cambio de cuenta de un mandato SEPA";
    MandateRevoked => "sepa.mandate_revoked", "Baja de mandato SEPA";
    /// The client signed a mandate in e-SORI. Details: the reference, text version and IP.
    MandateSignedOnline => "sepa.mandate_signed_online", "Firma en línea de mandato SEPA";
    /// Details: the receipts, total, collection date and file version.
    RemittanceCreated => "sepa.remittance_created", "Remesa de recibos";
    /// A bank's answer read: the file, its kind and SHA-256, the receipts returned, unchanged
    /// and left for review.
    BankFileImported => "sepa.bank_file_imported", "Fichero del banco importado";
    /// A new version of an e-mail template. Details: its name, version and change note.
    EmailTemplateSaved => "automation.template_saved", "Plantilla de correo guardada";
    /// An automation rule created, edited, enabled or disabled.
    AutomationRuleCreated => "automation.rule_created", "Regla de automatización creada";
    AutomationRuleUpdated => "automation.rule_updated", "Regla de automatización modificada";
    AutomationRuleToggled => "automation.rule_toggled", "Regla de automatización activada o desactivada";
    /// An admin put a parked event (or run) back in line.
    AutomationRetried => "automation.retried", "Reintento de una automatización detenida";
    /// A rule changed a field of a record.
    AutomationFieldChanged => "automation.field_changed", "Campo cambiado por una regla";
    /// A category's period in the retention schedule changed. Details: category, before, after.
    RetentionPeriodChanged => "privacy.retention_changed", "Plazo de conservación cambiado";
    /// The purge of the retention schedule ran. Details: rows removed per category.
    RetentionPurged => "privacy.retention_purged", "Purga de datos según el calendario de conservación";
    /// An activity of the record of processing activities (RGPD art. 30) created or edited.
    ProcessingActivitySaved => "privacy.processing_activity_saved", "Actividad del registro de tratamientos guardada";
    /// The renewal premium the carrier announced, recorded on the policy.
    RenewalPremiumRecorded => "policy.renewal_premium_recorded", "Prima de renovación anotada";
    /// A complaint typed by staff from a letter, e-mail, call or visit. Details: reference.
    ComplaintReceived => "complaint.received", "Reclamación registrada";
    ComplaintAssigned => "complaint.assigned", "Reclamación asignada";
    /// The reasoned answer sent. Details: outcome.
    ComplaintAnswered => "complaint.answered", "Reclamación contestada";
    ComplaintWithdrawn => "complaint.withdrawn", "Desistimiento de una reclamación";
    /// Taken to the ombudsman or the DGSFP. Details: where, their reference.
    ComplaintEscalated => "complaint.escalated", "Reclamación llevada a otra instancia";
    /// The department's deadline or warning changed. Details: before and after.
    ComplaintSettingsChanged => "complaint.settings_changed", "Plazos del servicio de atención al cliente cambiados";
    /// A data-protection rights request registered by staff. Details: right, channel.
    PrivacyRequestRegistered => "privacy.request_registered", "Solicitud de derechos de protección de datos registrada";
    /// Its deadline extended by two months (RGPD art. 12.3).
    PrivacyRequestExtended => "privacy.request_extended", "Plazo de una solicitud de derechos ampliado";
    /// Attended or refused. Details: result.
    PrivacyRequestClosed => "privacy.request_closed", "Solicitud de derechos contestada";
    /// A customer's identifying data sealed after an attended erasure request (LOPDGDD art.
    /// 32). Details: until.
    CustomerBlocked => "privacy.customer_blocked", "Datos de un cliente bloqueados";
    /// The sealed data of a blocked customer read by the legal-hold role.
    BlockedDataViewed => "privacy.blocked_viewed", "Consulta de datos bloqueados";
    /// Sealed data destroyed at the end of their legal period. Details: how many.
    BlockedDataDestroyed => "privacy.blocked_destroyed", "Datos bloqueados destruidos al acabar su plazo legal";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_parses_back_to_its_action() {
        for &action in Action::ALL {
            assert_eq!(Action::parse(action.code()), Some(action), "{action:?}");
        }
    }

    #[test]
    fn codes_and_labels_are_unique() {
        let codes: std::collections::HashSet<_> = Action::ALL.iter().map(|a| a.code()).collect();
        let labels: std::collections::HashSet<_> = Action::ALL.iter().map(|a| a.label()).collect();
        assert_eq!(codes.len(), Action::ALL.len());
        assert_eq!(labels.len(), Action::ALL.len());
    }

    #[test]
    fn codes_fit_the_database_check() {
        // Mirrors the CHECK of audit_log.action: dotted lower-case words.
        let word = |w: &str| {
            w.starts_with(|c: char| c.is_ascii_lowercase())
                && w.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        };
        for action in Action::ALL {
            let parts: Vec<&str> = action.code().split('.').collect();
            assert!(
                parts.len() >= 2 && parts.iter().all(|p| word(p)),
                "{action:?}"
            );
        }
    }

    #[test]
    fn unknown_codes_do_not_parse() {
        assert_eq!(Action::parse("staff.sign_in "), None);
        assert_eq!(Action::parse(""), None);
        assert_eq!(Action::parse("Staff.Sign_In"), None);
    }

    #[test]
    fn the_sign_in_code_is_stable() {
        // Stored rows depend on it.
        assert_eq!(Action::SignIn.code(), "staff.sign_in");
        assert_eq!(Action::SignInFailed.code(), "staff.sign_in_failed");
    }
}
