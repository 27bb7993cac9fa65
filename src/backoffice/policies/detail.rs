//! Policy page and its actions.

use super::*;
use crate::distribution::{self, PolicySale};

/// The values of the action forms (what was typed, or sensible defaults).
#[derive(Debug, Clone, Default)]
pub struct ActionForms {
    pub suspend: SuspendForm,
    pub reactivate: ReactivateForm,
    pub cancel: CancelForm,
    pub renew: RenewForm,
    pub endorse: EndorseForm,
    pub renewal_premium: RenewalPremiumForm,
}

impl ActionForms {
    fn defaults(detail: &PolicyDetail, today: NaiveDate) -> Self {
        let policy = &detail.policy;
        let today_text = today.format("%Y-%m-%d").to_string();
        let next_end = policy
            .end_date
            .checked_add_months(chrono::Months::new(12))
            .unwrap_or(policy.end_date);
        Self {
            suspend: SuspendForm {
                suspension_motivo: String::new(),
                suspension_fecha: today_text.clone(),
            },
            reactivate: ReactivateForm {
                reactivacion_fecha: today_text.clone(),
            },
            cancel: CancelForm {
                anulacion_motivo: String::new(),
                anulacion_detalle: String::new(),
                anulacion_fecha: today_text.clone(),
            },
            renew: RenewForm {
                renovacion_vencimiento: next_end.format("%Y-%m-%d").to_string(),
                renovacion_prima_neta: cents_for_input(policy.net_premium_cents),
                renovacion_prima_total: cents_for_input(policy.total_premium_cents),
            },
            endorse: EndorseForm {
                suplemento_fecha: today_text,
                suplemento_descripcion: String::new(),
                suplemento_prima: String::new(),
            },
            renewal_premium: RenewalPremiumForm {
                prima_renovacion: detail
                    .renewal_premium_cents
                    .map(cents_for_input)
                    .unwrap_or_default(),
            },
        }
    }
}

#[derive(Template)]
#[template(path = "backoffice/policies/show.html", blocks = ["content"])]
pub struct PolicyPage {
    pub ctx: PageContext,
    pub detail: PolicyDetail,
    pub forms: ActionForms,
    pub errors: FieldErrors,
    pub cancel_reasons: Vec<(String, String)>,
    /// What it was sold on: the quote's distribution record, or the reason for none.
    pub sale: PolicySale,
}

impl PolicyPage {
    pub fn quote_href(&self, id: &i64) -> String {
        format!("/admin/presupuestos/{id}")
    }
    pub fn status(&self) -> Status {
        self.detail.policy.status()
    }
    pub fn money(&self, cents: &i64) -> String {
        format_cents(*cents)
    }
    pub fn signed_money(&self, cents: &i64) -> String {
        if *cents > 0 {
            format!("+{}", format_cents(*cents))
        } else {
            format_cents(*cents)
        }
    }
    pub fn day(&self, day: &NaiveDate) -> String {
        date(*day)
    }
    pub fn instant(&self, at: &chrono::DateTime<chrono::Utc>) -> String {
        madrid_datetime(*at)
    }
    pub fn frequency(&self) -> &'static str {
        self.detail
            .policy
            .frequency()
            .map(|f| f.label())
            .unwrap_or("—")
    }
    pub fn risk(&self) -> Vec<(String, String)> {
        self.detail
            .policy
            .risk()
            .map(|r| r.summary())
            .unwrap_or_default()
    }
    pub fn can_edit(&self) -> bool {
        self.ctx.can(Permission::EditPortfolio)
    }
    /// The policy's receipts with their inline actions.
    pub fn receipt_lines(&self) -> Vec<crate::backoffice::receipts::ReceiptLine> {
        let today = policies::today();
        self.detail
            .receipts
            .iter()
            .map(|r| crate::backoffice::receipts::ReceiptLine::new(r, self.can_edit(), today))
            .collect()
    }
    pub fn shows_suspend(&self) -> bool {
        self.can_edit() && self.status() == Status::Active
    }
    pub fn shows_reactivate(&self) -> bool {
        self.can_edit() && self.status() == Status::Suspended
    }
    pub fn shows_cancel(&self) -> bool {
        self.can_edit() && matches!(self.status(), Status::Active | Status::Suspended)
    }
    /// The premium of the next period can be noted while the policy is in force and within
    /// three months of its end (the carriers announce it about two months before).
    pub fn shows_renewal_premium(&self) -> bool {
        self.can_edit()
            && self.status() == Status::Active
            && self.detail.policy.end_date - policies::today() <= chrono::Duration::days(90)
    }

    pub fn shows_renew(&self) -> bool {
        self.shows_suspend()
    }
    pub fn shows_endorse(&self) -> bool {
        self.shows_suspend()
    }
    /// A refusal for an action whose form is not on the page (the policy's status hides it).
    pub fn orphan_error(&self) -> Option<&str> {
        [
            ("suspension", self.shows_suspend()),
            ("reactivacion", self.shows_reactivate()),
            ("anulacion", self.shows_cancel()),
            ("renovacion", self.shows_renew()),
            ("suplemento", self.shows_endorse()),
        ]
        .into_iter()
        .find(|(key, shown)| !shown && self.errors.has(key))
        .and_then(|(key, _)| self.errors.get(key))
    }
}

fn policy_page(
    ctx: PageContext,
    (detail, sale): (PolicyDetail, PolicySale),
    forms: Option<ActionForms>,
    errors: FieldErrors,
) -> PolicyPage {
    let forms = forms.unwrap_or_else(|| ActionForms::defaults(&detail, policies::today()));
    PolicyPage {
        ctx,
        detail,
        forms,
        errors,
        sale,
        cancel_reasons: std::iter::once((String::new(), "Elija el motivo".to_owned()))
            .chain(
                CancelReason::ALL
                    .iter()
                    .map(|r| (r.code().to_owned(), r.label().to_owned())),
            )
            .collect(),
    }
}

/// GET /admin/polizas/{id}
pub async fn show(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.parse::<i64>().map_err(|_| AppError::NotFound)?;
    let scope = scope_of(&staff);
    let by = crate::audit::Actor::new(&staff.0, &meta.ip, &meta.user_agent);
    let detail = db
        .run(move |conn| {
            let detail = policies::detail(conn, scope, id)?;
            // A view of the policy is a view of its holder's data (the access log).
            crate::access_log::record(
                conn,
                &by,
                crate::access_log::Kind::CustomerViewed,
                Some(detail.policy.customer_id),
                &format!("Póliza {}", detail.policy.number),
            )?;
            let sale = distribution::records::of_policy(conn, id)?;
            Ok::<_, PolicyError>((detail, sale))
        })
        .await?;
    page_or_partial!(policy_page(ctx, detail, None, FieldErrors::new()))
}

/// Which action a POST is, to put its refusal next to its form.
#[derive(Clone, Copy)]
enum ActionKind {
    Suspend,
    Reactivate,
    Cancel,
    Renew,
    Endorse,
    RenewalPremium,
}

impl ActionKind {
    fn key(self) -> &'static str {
        match self {
            ActionKind::Suspend => "suspension",
            ActionKind::Reactivate => "reactivacion",
            ActionKind::Cancel => "anulacion",
            ActionKind::Renew => "renovacion",
            ActionKind::Endorse => "suplemento",
            ActionKind::RenewalPremium => "prima_renovacion",
        }
    }

    fn done(self) -> &'static str {
        match self {
            ActionKind::Suspend => "Póliza suspendida.",
            ActionKind::Reactivate => "Póliza reactivada.",
            ActionKind::Cancel => "Póliza anulada.",
            ActionKind::Renew => "Póliza renovada.",
            ActionKind::Endorse => "Suplemento registrado.",
            ActionKind::RenewalPremium => "Prima de renovación anotada.",
        }
    }
}

#[allow(clippy::too_many_arguments)]
/// Runs one action in a transaction: 303 to the policy page on success, the page again with
/// the message next to the action's form (422) when refused.
async fn act<F>(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<String>,
    kind: ActionKind,
    typed: impl FnOnce(&mut ActionForms),
    run: F,
) -> Result<HttpResponse, AppError>
where
    F: FnOnce(&mut diesel::PgConnection, PortfolioScope, i64, &Actor) -> Result<(), PolicyError>
        + Send
        + 'static,
{
    let id = path.parse::<i64>().map_err(|_| AppError::NotFound)?;
    let scope = scope_of(&staff);
    let by_staff = staff.0.clone();
    let outcome = db
        .transaction(move |conn| {
            let by = Actor::new(&by_staff, &meta.ip, &meta.user_agent);
            run(conn, scope, id, &by)
        })
        .await;
    let errors = match outcome {
        Ok(()) => {
            return Ok(flash::redirect(
                &format!("/admin/polizas/{id}"),
                Flash::success(kind.done()),
            ));
        }
        Err(PolicyError::Invalid(errors)) => errors,
        Err(PolicyError::Refused(message)) => {
            let mut errors = FieldErrors::new();
            errors.add(kind.key(), message);
            errors
        }
        Err(other) => return Err(other.into()),
    };
    let detail = db
        .run(move |conn| {
            let detail = policies::detail(conn, scope, id)?;
            let sale = distribution::records::of_policy(conn, id)?;
            Ok::<_, PolicyError>((detail, sale))
        })
        .await?;
    let mut forms = ActionForms::defaults(&detail.0, policies::today());
    typed(&mut forms);
    render::html_with_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &policy_page(ctx, detail, Some(forms), errors),
    )
}

/// POST /admin/polizas/{id}/suspender
pub async fn suspend(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<String>,
    form: crate::web::form::StrictForm<SuspendForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let kept = form.clone();
    act(
        ctx,
        staff,
        meta,
        db,
        path,
        ActionKind::Suspend,
        |forms| forms.suspend = kept,
        move |conn, scope, id, by| policies::suspend(conn, scope, id, form.validate(), by),
    )
    .await
}

/// POST /admin/polizas/{id}/reactivar
pub async fn reactivate(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<String>,
    form: crate::web::form::StrictForm<ReactivateForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let kept = form.clone();
    act(
        ctx,
        staff,
        meta,
        db,
        path,
        ActionKind::Reactivate,
        |forms| forms.reactivate = kept,
        move |conn, scope, id, by| policies::reactivate(conn, scope, id, form.validate(), by),
    )
    .await
}

/// POST /admin/polizas/{id}/anular
pub async fn cancel(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<String>,
    form: crate::web::form::StrictForm<CancelForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let kept = form.clone();
    act(
        ctx,
        staff,
        meta,
        db,
        path,
        ActionKind::Cancel,
        |forms| forms.cancel = kept,
        move |conn, scope, id, by| policies::cancel(conn, scope, id, form.validate(), by),
    )
    .await
}

/// POST /admin/polizas/{id}/renovar
pub async fn renew(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<String>,
    form: crate::web::form::StrictForm<RenewForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let kept = form.clone();
    let today = policies::today();
    act(
        ctx,
        staff,
        meta,
        db,
        path,
        ActionKind::Renew,
        |forms| forms.renew = kept,
        move |conn, scope, id, by| policies::renew(conn, scope, id, form.validate(), by, today),
    )
    .await
}

/// POST /admin/polizas/{id}/suplementos
pub async fn endorse(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<String>,
    form: crate::web::form::StrictForm<EndorseForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let kept = form.clone();
    act(
        ctx,
        staff,
        meta,
        db,
        path,
        ActionKind::Endorse,
        |forms| forms.endorse = kept,
        move |conn, scope, id, by| policies::endorse(conn, scope, id, form.validate(), by),
    )
    .await
}

/// POST /admin/polizas/{id}/prima-renovacion
pub async fn record_renewal_premium(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<String>,
    form: crate::web::form::StrictForm<RenewalPremiumForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let kept = form.clone();
    act(
        ctx,
        staff,
        meta,
        db,
        path,
        ActionKind::RenewalPremium,
        |forms| forms.renewal_premium = kept,
        move |conn, scope, id, by| {
            policies::record_renewal_premium(conn, scope, id, form.validate(), by)
        },
    )
    .await
}
