//! «Cobros»: the brokerage's SEPA creditor settings, the remittances (pick receipts, see what
//! goes and why the rest cannot, write the pain.008 file, download it) and each customer's
//! mandates.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::audit::Actor;
use crate::auth::permissions::PortfolioScope;
use crate::backoffice::CurrentStaff;
use crate::collection::mandates::{self, AccountForm, Mandate, MandateForm, Scheme};
use crate::collection::remittances::{
    self, Criteria, CriteriaForm, RemitError, Remittance, RemittedReceipt, Selection,
};
use crate::collection::returns;
use crate::collection::settings::{self, Settings, SettingsForm, VERSIONS};
use crate::customers::Customer;
use crate::db::form_submissions::{self, Claimed};
use crate::db::{Db, DbError};
use crate::listing::{Cursor, Numbered, Page, PageNumber};
use crate::page_or_partial;
use crate::validation::FieldErrors;
use crate::web::error::AppError;
use crate::web::flash::{self, Flash};
use crate::web::listing::Pager;
use crate::web::page::PageContext;
use crate::web::render;
use crate::web::request_meta::RequestMeta;

pub const SETTINGS_PATH: &str = "/admin/cobros/ajustes";
pub const REMITTANCES_PATH: &str = "/admin/remesas";

/// Dates, instants and amounts as the pages write them.
trait Formats {
    fn day(&self, day: &chrono::NaiveDate) -> String {
        crate::format::date(*day)
    }

    fn when(&self, at: &chrono::DateTime<chrono::Utc>) -> String {
        crate::format::madrid_datetime(*at)
    }

    fn money(&self, cents: &i64) -> String {
        crate::money::format_cents(*cents)
    }
}

impl Formats for RemittancesPage {}
impl Formats for RemittancePage {}
impl Formats for NewRemittancePage {}
impl Formats for MandatesPage {}

fn actor(staff: &CurrentStaff, meta: &RequestMeta) -> Actor {
    Actor::new(&staff.0, &meta.ip, &meta.user_agent)
}

fn today() -> chrono::NaiveDate {
    crate::time::today()
}

// ---------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "backoffice/collection/settings.html", blocks = ["content"])]
pub struct SettingsPage {
    pub ctx: PageContext,
    pub form: SettingsForm,
    pub errors: FieldErrors,
    pub versions: Vec<(&'static str, &'static str)>,
    pub saved: bool,
}

/// GET /admin/cobros/ajustes
pub async fn settings_form(ctx: PageContext, db: web::Data<Db>) -> Result<HttpResponse, AppError> {
    let current = db
        .run(|conn| settings::get(conn).map_err(DbError::from))
        .await?;
    page_or_partial!(SettingsPage {
        ctx,
        saved: current.is_some(),
        form: current.as_ref().map(SettingsForm::of).unwrap_or_default(),
        errors: FieldErrors::new(),
        versions: VERSIONS.to_vec(),
    })
}

/// POST /admin/cobros/ajustes
pub async fn save_settings(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    form: crate::web::form::StrictForm<SettingsForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    match form.validate() {
        Ok(input) => {
            let by = actor(&staff, &meta);
            db.transaction(move |conn| settings::save(conn, &by, &input).map_err(DbError::from))
                .await?;
            Ok(flash::redirect(
                SETTINGS_PATH,
                Flash::success("Ajustes de cobro guardados."),
            ))
        }
        Err(errors) => render::html_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &SettingsPage {
                ctx,
                form,
                errors,
                versions: VERSIONS.to_vec(),
                saved: false,
            },
        ),
    }
}

// ---------------------------------------------------------------------------------------
// Remittances
// ---------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "backoffice/collection/remittances.html", blocks = ["content"])]
pub struct RemittancesPage {
    pub ctx: PageContext,
    pub page: Page<Remittance>,
    pub configured: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    pagina: String,
}

/// GET /admin/remesas
pub async fn list(
    ctx: PageContext,
    db: web::Data<Db>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let cursor = Cursor::parse(&query.pagina);
    let (page, configured) = db
        .run(move |conn| {
            Ok::<_, DbError>((
                remittances::list(conn, cursor)?,
                settings::get(conn)?.is_some(),
            ))
        })
        .await?;
    page_or_partial!(RemittancesPage {
        ctx,
        page,
        configured
    })
}

#[derive(Template)]
#[template(path = "backoffice/collection/new.html", blocks = ["content"])]
pub struct NewRemittancePage {
    pub ctx: PageContext,
    pub form: CriteriaForm,
    pub errors: FieldErrors,
    pub carriers: Vec<(String, String)>,
    pub agents: Vec<(String, String)>,
    pub schemes: Vec<(&'static str, &'static str)>,
    /// What the criteria select now (when the form was sent and is valid).
    pub selection: Option<Selection>,
    pub earliest: String,
    pub form_token: String,
}

impl NewRemittancePage {
    pub fn total(&self) -> String {
        crate::money::format_cents(self.selection.as_ref().map_or(0, Selection::total_cents))
    }
}

fn options(rows: Vec<(i64, String)>, none: &str) -> Vec<(String, String)> {
    std::iter::once((String::new(), none.to_owned()))
        .chain(rows.into_iter().map(|(id, name)| (id.to_string(), name)))
        .collect()
}

async fn new_page(
    ctx: PageContext,
    db: &Db,
    form: CriteriaForm,
    errors: FieldErrors,
    selection: Option<Selection>,
) -> Result<NewRemittancePage, AppError> {
    let (carriers, agents, notice) = db
        .run(|conn| {
            use crate::db::schema::{carriers, staff_users};
            use diesel::prelude::*;
            let carriers: Vec<(i64, String)> = carriers::table
                .order(carriers::name)
                .select((carriers::id, carriers::name))
                .load(conn)?;
            let agents: Vec<(i64, String)> = staff_users::table
                .filter(staff_users::role.eq("agent"))
                .order(staff_users::name)
                .select((staff_users::id, staff_users::name))
                .load(conn)?;
            let notice = settings::get(conn)?.map_or(14, |s| s.notice_days);
            Ok::<_, DbError>((carriers, agents, notice))
        })
        .await?;
    Ok(NewRemittancePage {
        ctx,
        form,
        errors,
        carriers: options(carriers, "Todas"),
        agents: options(agents, "Todos"),
        schemes: Scheme::ALL.iter().map(|s| (s.code(), s.label())).collect(),
        selection,
        earliest: crate::format::date(CriteriaForm::earliest_collection(today(), notice)),
        form_token: form_submissions::new_token(),
    })
}

async fn notice_days(db: &Db) -> Result<Option<Settings>, AppError> {
    Ok(db
        .run(|conn| settings::get(conn).map_err(DbError::from))
        .await?)
}

/// GET /admin/remesas/nueva: the criteria; once sent, what they select (nothing written).
pub async fn new_remittance(
    ctx: PageContext,
    db: web::Data<Db>,
    query: web::Query<CriteriaForm>,
) -> Result<HttpResponse, AppError> {
    let Some(current) = notice_days(&db).await? else {
        return Ok(flash::redirect(
            SETTINGS_PATH,
            Flash::warning("Antes de la primera remesa, complete los datos de cobro del acreedor."),
        ));
    };
    let form = query.into_inner();
    if form.is_empty() {
        let page = new_page(ctx, &db, form, FieldErrors::new(), None).await?;
        return page_or_partial!(page);
    }
    match form.validate(today(), current.notice_days) {
        Ok(criteria) => {
            let day = today();
            let selection = db
                .run(move |conn| {
                    remittances::select(conn, &criteria, day, false).map_err(DbError::from)
                })
                .await?;
            let page = new_page(ctx, &db, form, FieldErrors::new(), Some(selection)).await?;
            page_or_partial!(page)
        }
        Err(errors) => {
            let page = new_page(ctx, &db, form, errors, None).await?;
            render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct CreateForm {
    #[serde(flatten)]
    criteria: CriteriaForm,
    #[serde(default)]
    form_token: String,
}

/// POST /admin/remesas: writes the remittance of what the criteria select now. Sent twice,
/// the form gives the remittance written the first time.
pub async fn create(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    form: crate::web::form::StrictForm<CreateForm>,
) -> Result<HttpResponse, AppError> {
    let CreateForm {
        criteria: form,
        form_token,
    } = form.into_inner();
    let Some(current) = notice_days(&db).await? else {
        return Ok(flash::redirect(
            SETTINGS_PATH,
            Flash::warning("Complete antes los datos de cobro del acreedor."),
        ));
    };
    let criteria: Criteria = match form.validate(today(), current.notice_days) {
        Ok(criteria) => criteria,
        Err(errors) => {
            let page = new_page(ctx, &db, form, errors, None).await?;
            return render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    if !form_submissions::is_well_formed(&form_token) {
        return Err(AppError::BadRequest("missing form token".into()));
    }
    let by = actor(&staff, &meta);
    let now = chrono::Utc::now()
        .with_timezone(&crate::time::ZONE)
        .naive_local();
    let outcome = db
        .transaction(move |conn| {
            if let Claimed::Repeated(created) = form_submissions::claim(conn, &form_token)? {
                return Ok(created.map(|(_, id)| id));
            }
            match remittances::create(conn, &by, &criteria, now) {
                Ok(remittance) => {
                    form_submissions::attach(
                        conn,
                        &form_token,
                        crate::audit::target::REMITTANCE,
                        remittance.id,
                    )?;
                    Ok(Some(remittance.id))
                }
                Err(RemitError::Nothing) => Ok(None),
                Err(RemitError::Db(e)) => Err(e),
                Err(other) => Err(DbError::other(other)),
            }
        })
        .await;
    match outcome? {
        Some(id) => Ok(flash::redirect(
            &format!("{REMITTANCES_PATH}/{id}"),
            Flash::success("Remesa generada. Descargue el fichero y envíelo a su banco."),
        )),
        // Taken meanwhile by another remittance, or no longer pending.
        None => Ok(flash::redirect(
            &format!("{REMITTANCES_PATH}/nueva"),
            Flash::warning("Ningún recibo de esa selección se puede remesar ahora."),
        )),
    }
}

#[derive(Template)]
#[template(path = "backoffice/collection/remittance.html", blocks = ["content"])]
pub struct RemittancePage {
    pub ctx: PageContext,
    pub remittance: Remittance,
    pub receipts: Numbered<RemittedReceipt>,
    pub pager: Pager,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NumberQuery {
    pagina: String,
}

/// GET /admin/remesas/{id}: the remittance and its receipts, 200 a page.
pub async fn show(
    ctx: PageContext,
    db: web::Data<Db>,
    path: web::Path<i64>,
    query: web::Query<NumberQuery>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let number = PageNumber::parse(&query.pagina);
    let (remittance, receipts) = db
        .run(move |conn| {
            Ok::<_, DbError>((
                remittances::find(conn, id)?,
                remittances::receipts_of(conn, id, number)?,
            ))
        })
        .await?;
    let pager = Pager::of_numbered(&receipts, &format!("/admin/remesas/{id}"), &[]);
    page_or_partial!(RemittancePage {
        ctx,
        remittance,
        receipts,
        pager
    })
}

/// GET /admin/remesas/{id}/fichero: the pain.008 file as written.
pub async fn download(db: web::Data<Db>, path: web::Path<i64>) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let (reference, xml) = db
        .run(move |conn| remittances::file(conn, id).map_err(DbError::from))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/xml; charset=utf-8"))
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(format!("{reference}.xml"))],
        })
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(xml))
}

// ---------------------------------------------------------------------------------------
// A customer's mandates
// ---------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "backoffice/collection/mandates.html", blocks = ["content"])]
pub struct MandatesPage {
    pub ctx: PageContext,
    pub customer_id: i64,
    pub customer_name: String,
    pub mandates: Vec<Mandate>,
    pub documents: Vec<(String, String)>,
    pub schemes: Vec<(&'static str, &'static str)>,
    pub form: MandateForm,
    pub errors: FieldErrors,
    pub account_errors: FieldErrors,
    pub account_form: AccountForm,
    pub form_token: String,
}

impl MandatesPage {
    pub fn lapses(&self, mandate: &Mandate) -> String {
        crate::format::date(mandate.lapses_on())
    }
}

fn scope_of(staff: &CurrentStaff) -> PortfolioScope {
    PortfolioScope::of(staff.0.id, staff.0.role())
}

async fn customer(db: &Db, staff: &CurrentStaff, id: i64) -> Result<Customer, AppError> {
    let scope = scope_of(staff);
    db.run(move |conn| crate::customers::get(conn, scope, id).map_err(DbError::from))
        .await?
        .ok_or(AppError::NotFound)
}

async fn mandates_page(
    ctx: PageContext,
    db: &Db,
    customer: Customer,
    form: MandateForm,
    errors: FieldErrors,
    account: (AccountForm, FieldErrors),
) -> Result<MandatesPage, AppError> {
    let id = customer.id;
    let (mandates, documents) = db
        .run(move |conn| {
            Ok::<_, DbError>((
                mandates::of_customer(conn, id)?,
                mandates::evidence_choices(conn, id)?,
            ))
        })
        .await?;
    let form = if form.titular.is_empty() && errors.is_empty() {
        MandateForm {
            titular: customer.display_name.clone(),
            esquema: if customer.is_company() { "b2b" } else { "core" }.to_owned(),
            ..form
        }
    } else {
        form
    };
    Ok(MandatesPage {
        ctx,
        customer_id: id,
        customer_name: customer.display_name,
        mandates,
        documents: options(documents, "Elija el documento"),
        schemes: Scheme::ALL.iter().map(|s| (s.code(), s.label())).collect(),
        form,
        errors,
        account_form: account.0,
        account_errors: account.1,
        form_token: form_submissions::new_token(),
    })
}

fn mandates_path(customer_id: i64) -> String {
    format!("/admin/clientes/{customer_id}/mandatos")
}

/// GET /admin/clientes/{id}/mandatos
pub async fn mandates(
    ctx: PageContext,
    staff: CurrentStaff,
    db: web::Data<Db>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let customer = customer(&db, &staff, path.into_inner()).await?;
    let page = mandates_page(
        ctx,
        &db,
        customer,
        MandateForm::default(),
        FieldErrors::new(),
        (AccountForm::default(), FieldErrors::new()),
    )
    .await?;
    page_or_partial!(page)
}

#[derive(Debug, Deserialize)]
pub struct MandateSubmit {
    #[serde(flatten)]
    form: MandateForm,
    #[serde(default)]
    form_token: String,
}

/// POST /admin/clientes/{id}/mandatos: registers a mandate (it replaces the one in force).
pub async fn create_mandate(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
    submit: crate::web::form::StrictForm<MandateSubmit>,
) -> Result<HttpResponse, AppError> {
    let customer = customer(&db, &staff, path.into_inner()).await?;
    let MandateSubmit { form, form_token } = submit.into_inner();
    let customer_id = customer.id;
    let saved = match form.validate(today()) {
        Ok(input) => {
            let by = actor(&staff, &meta);
            let day = today();
            db.transaction(move |conn| {
                if form_submissions::is_well_formed(&form_token)
                    && let Claimed::Repeated(_) = form_submissions::claim(conn, &form_token)?
                {
                    return Ok(Ok(()));
                }
                let created = mandates::create(conn, &by, customer_id, &input, day)?;
                if let Ok(id) = created
                    && form_submissions::is_well_formed(&form_token)
                {
                    form_submissions::attach(conn, &form_token, crate::audit::target::MANDATE, id)?;
                }
                Ok::<_, DbError>(created.map(|_| ()))
            })
            .await?
        }
        Err(errors) => Err(errors),
    };
    match saved {
        Ok(()) => Ok(flash::redirect(
            &mandates_path(customer_id),
            Flash::success("Mandato registrado: los próximos recibos se cobrarán con él."),
        )),
        Err(errors) => {
            let page = mandates_page(
                ctx,
                &db,
                customer,
                form,
                errors,
                (AccountForm::default(), FieldErrors::new()),
            )
            .await?;
            render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

/// POST /admin/clientes/{id}/mandatos/{mandate}/cuenta: the debtor's new account.
pub async fn change_account(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<(i64, i64)>,
    form: crate::web::form::StrictForm<AccountForm>,
) -> Result<HttpResponse, AppError> {
    let (customer_id, mandate_id) = path.into_inner();
    let customer = customer(&db, &staff, customer_id).await?;
    let form = form.into_inner();
    let by = actor(&staff, &meta);
    let submitted = form.clone();
    let result = db
        .transaction(move |conn| {
            mandates::change_account(conn, &by, customer_id, mandate_id, &submitted)
                .map_err(DbError::from)
        })
        .await;
    match result {
        Ok(Ok(())) => Ok(flash::redirect(
            &mandates_path(customer_id),
            Flash::success("Cuenta cambiada: el próximo cargo avisará al banco del cambio."),
        )),
        Ok(Err(errors)) => {
            let page = mandates_page(
                ctx,
                &db,
                customer,
                MandateForm::default(),
                FieldErrors::new(),
                (form, errors),
            )
            .await?;
            render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(error) if error.is_not_found() => Err(AppError::NotFound),
        Err(error) => Err(error.into()),
    }
}

/// POST /admin/clientes/{id}/mandatos/{mandate}/baja: the client revoked it.
pub async fn revoke_mandate(
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let (customer_id, mandate_id) = path.into_inner();
    customer(&db, &staff, customer_id).await?;
    let by = actor(&staff, &meta);
    let day = today();
    let result = db
        .transaction(move |conn| {
            mandates::revoke(conn, &by, customer_id, mandate_id, day).map_err(DbError::from)
        })
        .await;
    match result {
        Ok(()) => Ok(flash::redirect(
            &mandates_path(customer_id),
            Flash::success("Mandato dado de baja: sus recibos ya no se remesarán."),
        )),
        Err(error) if error.is_not_found() => Err(AppError::NotFound),
        Err(error) => Err(error.into()),
    }
}

// ---------------------------------------------------------------------------------------
// The bank's answers: returns and rejections
// ---------------------------------------------------------------------------------------

pub const RETURNS_PATH: &str = "/admin/remesas/devoluciones";

/// The largest bank file read (a 10,000-line statement is a few MB).
const MAX_BANK_FILE_BYTES: usize = 20 * 1024 * 1024;

#[derive(Template)]
#[template(path = "backoffice/collection/returns.html", blocks = ["content"])]
pub struct ReturnsPage {
    pub ctx: PageContext,
    pub files: Vec<returns::FileRow>,
    pub pending: Vec<returns::PendingLine>,
    pub upload_error: Option<String>,
    /// The queued line whose receipt number was refused, with the message.
    pub assign_error: Option<(i64, String)>,
}

impl Formats for ReturnsPage {}

impl ReturnsPage {
    /// The message of a refused receipt number for line `id`.
    pub fn assign_failed(&self, id: &i64) -> Option<&str> {
        self.assign_error
            .as_ref()
            .filter(|(line, _)| line == id)
            .map(|(_, message)| message.as_str())
    }
}

async fn returns_page(
    ctx: PageContext,
    db: &Db,
    upload_error: Option<String>,
    assign_error: Option<(i64, String)>,
) -> Result<ReturnsPage, AppError> {
    let (files, pending) = db
        .run(|conn| Ok::<_, DbError>((returns::files(conn)?, returns::pending(conn)?)))
        .await?;
    Ok(ReturnsPage {
        ctx,
        files,
        pending,
        upload_error,
        assign_error,
    })
}

/// GET /admin/remesas/devoluciones
pub async fn returns_index(ctx: PageContext, db: web::Data<Db>) -> Result<HttpResponse, AppError> {
    let page = returns_page(ctx, &db, None, None).await?;
    page_or_partial!(page)
}

/// POST /admin/remesas/devoluciones: a bank's file (pain.002, camt.054, camt.053, Norma 43).
pub async fn upload_returns(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    payload: actix_multipart::Multipart,
) -> Result<HttpResponse, AppError> {
    let parts =
        crate::web::multipart::read(payload, &["fichero"], MAX_BANK_FILE_BYTES, 1024).await?;
    let file = parts
        .into_iter()
        .find(|p| p.name == "fichero" && (p.overflow || !p.bytes.is_empty()));
    let refuse = |message: &str| message.to_owned();
    let error = match file {
        None => Some(refuse("Elija el fichero que le ha dado el banco.")),
        Some(file) if file.overflow => Some(refuse("El fichero pasa de 20 MB.")),
        Some(file) => {
            let by = actor(&staff, &meta);
            let name = file.filename.unwrap_or_else(|| "banco.xml".into());
            let day = today();
            let result = db
                .transaction(move |conn| {
                    Ok::<_, DbError>(match returns::import(conn, &by, &name, &file.bytes, day) {
                        Ok(imported) => Ok(imported),
                        Err(returns::ImportError::Db(e)) => return Err(e),
                        Err(other) => Err(other),
                    })
                })
                .await?;
            match result {
                Ok(imported) => {
                    let message = format!("Fichero leído: {}.", imported.summary());
                    return Ok(flash::redirect(RETURNS_PATH, Flash::success(message)));
                }
                Err(returns::ImportError::AlreadyImported(_)) => {
                    return Ok(flash::redirect(
                        RETURNS_PATH,
                        Flash::info("Ese fichero ya se había leído: no ha cambiado nada."),
                    ));
                }
                Err(other) => Some(other.to_string()),
            }
        }
    };
    let page = returns_page(ctx, &db, error, None).await?;
    render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

#[derive(Debug, Deserialize)]
pub struct AssignForm {
    #[serde(default)]
    recibo: String,
}

/// POST /admin/remesas/devoluciones/{id}/asignar: the receipt a queued line is about.
pub async fn assign_return(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
    form: crate::web::form::StrictForm<AssignForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let number = form.into_inner().recibo;
    let by = actor(&staff, &meta);
    let day = today();
    let result = db
        .transaction(move |conn| returns::assign(conn, &by, id, &number, day))
        .await;
    match result {
        Ok(Ok(())) => Ok(flash::redirect(
            RETURNS_PATH,
            Flash::success("Devolución asignada al recibo."),
        )),
        Ok(Err(errors)) => {
            let message = errors.get("recibo").unwrap_or_default().to_owned();
            let page = returns_page(ctx, &db, None, Some((id, message))).await?;
            render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(error) if error.is_not_found() => Err(AppError::NotFound),
        Err(error) => Err(error.into()),
    }
}

/// POST /admin/remesas/devoluciones/{id}/descartar: not about a receipt of ours.
pub async fn dismiss_return(
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let by = actor(&staff, &meta);
    let result = db
        .transaction(move |conn| returns::dismiss(conn, &by, id).map_err(DbError::from))
        .await;
    match result {
        Ok(()) => Ok(flash::redirect(
            RETURNS_PATH,
            Flash::info("Línea descartada."),
        )),
        Err(error) if error.is_not_found() => Err(AppError::NotFound),
        Err(error) => Err(error.into()),
    }
}
