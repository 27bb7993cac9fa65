//! Taxi tariffs (`/admin/tarifas`): every carrier's versions, one version's figures, a new
//! draft from the published version, editing the draft, publishing it. Publishing clears the
//! quoter's tariff cache; quotes already given keep their version and breakdown.

use std::collections::{BTreeMap, HashMap};

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use crate::audit::Actor;
use crate::backoffice::CurrentStaff;
use crate::db::{Db, DbError};
use crate::format;
use crate::money;
use crate::page_or_partial;
use crate::taxi::rating::tariff::{FactorKind, Tariff};
use crate::taxi::rating::{Coverage, Extra};
use crate::taxi::tariffs::{self, TariffCache, TariffError, VersionRow};
use crate::validation::parse_fixed;
use crate::web::error::AppError;
use crate::web::flash::{self, Flash};
use crate::web::page::PageContext;
use crate::web::render;
use crate::web::request_meta::RequestMeta;

fn status_label(status: &str) -> (&'static str, &'static str) {
    match status {
        "draft" => ("Borrador", "badge-warn"),
        "published" => ("Publicada", "badge-ok"),
        _ => ("Retirada", "badge-muted"),
    }
}

pub struct VersionView {
    pub id: i64,
    pub carrier_id: i64,
    pub carrier_name: String,
    pub version: i32,
    pub status: String,
    pub status_label: &'static str,
    pub status_class: &'static str,
    pub published_at: String,
    pub updated_at: String,
}

impl From<VersionRow> for VersionView {
    fn from(row: VersionRow) -> Self {
        let (status_label, status_class) = status_label(&row.status);
        Self {
            id: row.id,
            carrier_id: row.carrier_id,
            carrier_name: row.carrier_name,
            version: row.version,
            status: row.status,
            status_label,
            status_class,
            published_at: row
                .published_at
                .map(format::madrid_datetime)
                .unwrap_or_default(),
            updated_at: format::madrid_datetime(row.updated_at),
        }
    }
}

#[derive(Template)]
#[template(path = "backoffice/tariffs/list.html", blocks = ["content"])]
pub struct TariffListPage {
    pub ctx: PageContext,
    pub versions: Vec<VersionView>,
}

impl TariffListPage {
    /// Whether a carrier already has a draft (the button then opens it).
    pub fn draft_of(&self, carrier_id: &i64) -> Option<i64> {
        self.versions
            .iter()
            .find(|v| v.carrier_id == *carrier_id && v.status == "draft")
            .map(|v| v.id)
    }
}

/// GET /admin/tarifas
pub async fn list(ctx: PageContext, db: web::Data<Db>) -> Result<HttpResponse, AppError> {
    let versions = db
        .run(|conn| tariffs::versions(conn).map_err(DbError::from))
        .await?
        .into_iter()
        .map(VersionView::from)
        .collect();
    page_or_partial!(TariffListPage { ctx, versions })
}

/// One input of the edit form.
pub struct FieldView {
    pub name: String,
    pub label: String,
    pub value: String,
    pub error: String,
}

pub struct FactorView {
    pub label: &'static str,
    pub fields: Vec<FieldView>,
}

#[derive(Template)]
#[template(path = "backoffice/tariffs/show.html", blocks = ["content"])]
pub struct TariffPage {
    pub ctx: PageContext,
    pub version: VersionView,
    pub editable: bool,
    pub notes: String,
    pub base: Vec<FieldView>,
    pub factors: Vec<FactorView>,
    pub options: Vec<FieldView>,
    pub general: Vec<FieldView>,
    pub has_errors: bool,
}

fn per_mille_text(m: u32) -> String {
    format!("{},{:03}", m / 1000, m % 1000)
}

fn bp_text(bp: i64) -> String {
    format!("{},{:02}", bp / 100, bp % 100)
}

/// The edit form's fields for a tariff, as (name, value): also what tests post back.
pub fn tariff_form_fields(tariff: &Tariff) -> Vec<(String, String)> {
    let mut fields = Vec::new();
    for coverage in Coverage::ALL {
        fields.push((
            format!("base_{}", coverage.code()),
            tariff
                .base_cents
                .get(&coverage)
                .map(|c| money::cents_for_input(*c))
                .unwrap_or_default(),
        ));
    }
    for kind in FactorKind::ALL {
        for band in 0..kind.bands().len() {
            fields.push((
                format!("f_{}_{band}", kind.code()),
                per_mille_text(tariff.multiplier(kind, band)),
            ));
        }
    }
    for extra in Extra::ALL {
        fields.push((
            format!("opt_{}", extra.code()),
            tariff
                .options_cents
                .get(&extra)
                .map(|c| money::cents_for_input(*c))
                .unwrap_or_default(),
        ));
    }
    fields.push((
        "minimum".into(),
        money::cents_for_input(tariff.minimum_cents),
    ));
    fields.push(("ips".into(), bp_text(tariff.ips_bp)));
    fields.push(("consorcio".into(), bp_text(tariff.consorcio_bp)));
    fields.push(("clea".into(), bp_text(tariff.clea_bp)));
    fields
}

/// Reads the edit form; errors by field name, in Spanish.
fn parse_tariff(form: &HashMap<String, String>) -> Result<Tariff, BTreeMap<String, String>> {
    let mut errors = BTreeMap::new();
    let get = |name: &str| form.get(name).map(String::as_str).unwrap_or("").trim();
    let money_field = |name: String, errors: &mut BTreeMap<String, String>| -> Option<i64> {
        match money::parse_cents(get(&name)) {
            Ok(cents) => Some(cents),
            Err(message) => {
                errors.insert(name, message.to_owned());
                None
            }
        }
    };
    let mut base_cents = BTreeMap::new();
    for coverage in Coverage::ALL {
        if let Some(cents) = money_field(format!("base_{}", coverage.code()), &mut errors) {
            base_cents.insert(coverage, cents);
        }
    }
    let mut factors = BTreeMap::new();
    for kind in FactorKind::ALL {
        let mut bands = Vec::new();
        for band in 0..kind.bands().len() {
            let name = format!("f_{}_{band}", kind.code());
            match parse_fixed(get(&name), 3).and_then(|m| u32::try_from(m).ok()) {
                Some(m) => bands.push(m),
                None => {
                    errors.insert(
                        name,
                        "Escriba el coeficiente con hasta tres decimales (por ejemplo, 1,150)."
                            .to_owned(),
                    );
                }
            }
        }
        factors.insert(kind, bands);
    }
    let mut options_cents = BTreeMap::new();
    for extra in Extra::ALL {
        let name = format!("opt_{}", extra.code());
        if get(&name).is_empty() {
            continue; // not offered
        }
        if let Some(cents) = money_field(name, &mut errors) {
            options_cents.insert(extra, cents);
        }
    }
    let minimum_cents = money_field("minimum".into(), &mut errors).unwrap_or_default();
    let mut percent = |name: &str| match parse_fixed(get(name), 2) {
        Some(bp) => bp,
        None => {
            errors.insert(
                name.to_owned(),
                "Escriba el porcentaje con hasta dos decimales (por ejemplo, 8,00).".to_owned(),
            );
            0
        }
    };
    let ips_bp = percent("ips");
    let consorcio_bp = percent("consorcio");
    let clea_bp = percent("clea");
    let tariff = Tariff {
        base_cents,
        factors,
        options_cents,
        minimum_cents,
        ips_bp,
        consorcio_bp,
        clea_bp,
    };
    if errors.is_empty() {
        for (field, message) in tariff.problems() {
            errors.entry(field).or_insert(message);
        }
    }
    if errors.is_empty() {
        Ok(tariff)
    } else {
        Err(errors)
    }
}

fn tariff_page(
    ctx: PageContext,
    version: tariffs::Version,
    values: &HashMap<String, String>,
    errors: &BTreeMap<String, String>,
    notes: String,
) -> TariffPage {
    let field = |name: String, label: String| FieldView {
        value: values.get(&name).cloned().unwrap_or_default(),
        error: errors.get(&name).cloned().unwrap_or_default(),
        name,
        label,
    };
    let base = Coverage::ALL
        .iter()
        .map(|c| field(format!("base_{}", c.code()), c.label().to_owned()))
        .collect();
    let factors = FactorKind::ALL
        .iter()
        .map(|k| FactorView {
            label: k.label(),
            fields: k
                .bands()
                .iter()
                .enumerate()
                .map(|(band, label)| field(format!("f_{}_{band}", k.code()), (*label).to_owned()))
                .collect(),
        })
        .collect();
    let options = Extra::ALL
        .iter()
        .map(|e| field(format!("opt_{}", e.code()), e.label().to_owned()))
        .collect();
    let general = vec![
        field("minimum".into(), "Prima mínima (€)".into()),
        field("ips".into(), "IPS (%)".into()),
        field("consorcio".into(), "Consorcio de Compensación (%)".into()),
        field("clea".into(), "CLEA (%)".into()),
    ];
    let editable = version.row.status == "draft";
    TariffPage {
        ctx,
        version: VersionView::from(version.row),
        editable,
        notes,
        base,
        factors,
        options,
        general,
        has_errors: !errors.is_empty(),
    }
}

/// GET /admin/tarifas/{id}
pub async fn show(
    ctx: PageContext,
    db: web::Data<Db>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let version = db
        .run(move |conn| tariffs::version(conn, id))
        .await
        .map_err(AppError::from)?;
    let values: HashMap<String, String> = tariff_form_fields(&version.tariff).into_iter().collect();
    let notes = version.notes.clone();
    page_or_partial!(tariff_page(ctx, version, &values, &BTreeMap::new(), notes))
}

/// POST /admin/tarifas/companias/{carrier_id}/borrador: a draft copied from the published
/// version (or the existing draft).
pub async fn create_draft(
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let carrier_id = path.into_inner();
    let by = Actor::new(&staff.0, &meta.ip, &meta.user_agent);
    let (id, created) = db
        .transaction(move |conn| tariffs::create_draft(conn, carrier_id, &by))
        .await
        .map_err(AppError::from)?;
    let message = if created {
        Flash::success("Borrador creado a partir de la tarifa publicada.")
    } else {
        Flash::info("Esta compañía ya tenía un borrador: es este.")
    };
    Ok(flash::redirect(&format!("/admin/tarifas/{id}"), message))
}

/// POST /admin/tarifas/{id}: saves the draft's figures.
pub async fn update(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
    form: crate::web::form::StrictForm<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let form = form.into_inner();
    let notes = form
        .get("notas")
        .map(|n| n.trim().chars().take(2000).collect::<String>())
        .unwrap_or_default();
    match parse_tariff(&form) {
        Ok(tariff) => {
            let by = Actor::new(&staff.0, &meta.ip, &meta.user_agent);
            let saved_notes = notes.clone();
            let result = db
                .transaction(move |conn| {
                    tariffs::update_draft(conn, id, &tariff, &saved_notes, &by)
                })
                .await;
            match result {
                Ok(()) => Ok(flash::redirect(
                    &format!("/admin/tarifas/{id}"),
                    Flash::success("Borrador guardado."),
                )),
                Err(TariffError::NotDraft) => Ok(flash::redirect(
                    &format!("/admin/tarifas/{id}"),
                    Flash::error("Solo se puede modificar un borrador."),
                )),
                Err(TariffError::Invalid(problems)) => {
                    let errors: BTreeMap<String, String> = problems.into_iter().collect();
                    rerender(ctx, db, id, form, errors, notes).await
                }
                Err(other) => Err(AppError::from(other)),
            }
        }
        Err(errors) => rerender(ctx, db, id, form, errors, notes).await,
    }
}

async fn rerender(
    ctx: PageContext,
    db: web::Data<Db>,
    id: i64,
    form: HashMap<String, String>,
    errors: BTreeMap<String, String>,
    notes: String,
) -> Result<HttpResponse, AppError> {
    let version = db
        .run(move |conn| tariffs::version(conn, id))
        .await
        .map_err(AppError::from)?;
    render::html_with_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &tariff_page(ctx, version, &form, &errors, notes),
    )
}

/// POST /admin/tarifas/{id}/publicar
pub async fn publish(
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    cache: web::Data<TariffCache>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let by = Actor::new(&staff.0, &meta.ip, &meta.user_agent);
    let result = db
        .transaction(move |conn| tariffs::publish(conn, id, &by))
        .await;
    match result {
        Ok(()) => {
            cache.clear();
            Ok(flash::redirect(
                &format!("/admin/tarifas/{id}"),
                Flash::success("Tarifa publicada: el tarificador ya la usa."),
            ))
        }
        Err(TariffError::NotDraft) => Ok(flash::redirect(
            &format!("/admin/tarifas/{id}"),
            Flash::error("Solo se puede publicar un borrador."),
        )),
        Err(TariffError::Invalid(_)) => Ok(flash::redirect(
            &format!("/admin/tarifas/{id}"),
            Flash::error("La tarifa tiene errores: corríjalos antes de publicar."),
        )),
        Err(other) => Err(AppError::from(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_decimals_are_read_exactly() {
        assert_eq!(parse_fixed("1,150", 3), Some(1150));
        assert_eq!(parse_fixed("1.15", 3), Some(1150));
        assert_eq!(parse_fixed("2", 3), Some(2000));
        assert_eq!(parse_fixed("8,00 %", 2), Some(800));
        assert_eq!(parse_fixed("1,1234", 3), None);
        assert_eq!(parse_fixed("-1", 3), None);
        assert_eq!(parse_fixed("", 3), None);
    }

    #[test]
    fn the_form_round_trips_a_tariff() {
        for (_, tariff) in crate::seed::taxi::illustrative_tariffs() {
            let form: HashMap<String, String> = tariff_form_fields(&tariff).into_iter().collect();
            assert_eq!(parse_tariff(&form), Ok(tariff));
        }
    }
}
