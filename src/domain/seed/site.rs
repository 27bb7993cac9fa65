//! Demo content of the public site: blog posts, three published landings (hogar with two A/B
//! variants, salud, decesos) with a fortnight of visits and conversions, and the agents that
//! take the leads of the hogar and salud lines. Skipped when landings already exist.

use chrono::{Duration, Utc};
use diesel::prelude::*;

use super::rng::XorShift;
use crate::blog::{self, PostDraft};
use crate::db::schema::{
    landing_daily_stats, landings, lead_agent_lines, lines_of_business, staff_users,
};
use crate::landings::blocks::{Benefit, Blocks, Cta, Faq, Hero, Testimonial};
use crate::landings::editor::{self, LandingForm};

fn blocks(
    hero: (&str, &str, &str),
    benefits: &[(&str, &str)],
    faq: &[(&str, &str)],
    quote: (&str, &str),
) -> Blocks {
    Blocks {
        hero: Hero {
            title: hero.0.to_owned(),
            text: hero.1.to_owned(),
            cta_label: hero.2.to_owned(),
        },
        benefits: benefits
            .iter()
            .map(|(title, text)| Benefit {
                title: (*title).to_owned(),
                text: (*text).to_owned(),
            })
            .collect(),
        testimonials: vec![Testimonial {
            quote: quote.0.to_owned(),
            author: quote.1.to_owned(),
        }],
        faq: faq
            .iter()
            .map(|(q, a)| Faq {
                question: (*q).to_owned(),
                answer: (*a).to_owned(),
            })
            .collect(),
        cta: Some(Cta {
            title: "Le llamamos sin compromiso".to_owned(),
            text: "Déjenos sus datos y un asesor le llamará en un día laborable.".to_owned(),
        }),
    }
}

const FIELDS: &str = r#"[
 {"name":"nombre","label":"Nombre y apellidos","kind":"text","required":true},
 {"name":"telefono","label":"Teléfono","kind":"phone","required":true},
 {"name":"email","label":"Correo electrónico","kind":"email","required":false},
 {"name":"cp","label":"Código postal","kind":"postcode","required":false}
]"#;

const HOGAR_FIELDS: &str = r#"[
 {"name":"nombre","label":"Nombre y apellidos","kind":"text","required":true},
 {"name":"telefono","label":"Teléfono","kind":"phone","required":true},
 {"name":"email","label":"Correo electrónico","kind":"email","required":false},
 {"name":"cp","label":"Código postal de la vivienda","kind":"postcode","required":true},
 {"name":"vivienda","label":"Tipo de vivienda","kind":"select","required":true,"options":["Piso","Casa o chalet","Ático","Bajo"]},
 {"name":"renovacion","label":"¿Cuándo vence su seguro actual?","kind":"date","required":false}
]"#;

pub fn demo_site(conn: &mut PgConnection) -> anyhow::Result<()> {
    let existing: i64 = landings::table.count().get_result(conn)?;
    if existing > 0 {
        return Ok(());
    }
    conn.transaction(|conn| {
        let now = Utc::now();
        let line = |conn: &mut PgConnection, code: &str| -> QueryResult<i64> {
            lines_of_business::table
                .filter(lines_of_business::code.eq(code))
                .select(lines_of_business::id)
                .first(conn)
        };
        let specs = [
            (
                "seguro-hogar",
                "Seguro de hogar",
                "hogar",
                "hogar-otono-2026",
                HOGAR_FIELDS,
                blocks(
                    ("Su casa protegida, sin letra pequeña", "Comparamos el seguro de hogar de varias compañías y le decimos qué cubre cada uno.", "Quiero mi presupuesto"),
                    &[("Daños por agua", "Incluida la localización y reparación de la avería."), ("Responsabilidad civil", "Si causa daños al vecino, responde el seguro."), ("Asistencia 24 h", "Fontanero, cerrajero y electricista urgentes.")],
                    &[("¿Puedo cambiar de compañía antes del vencimiento?", "Le ayudamos a anunciar la no renovación con un mes de antelación y a que el nuevo seguro empiece el mismo día."), ("¿Cubre el contenido?", "Sí, si lo incluye: muebles, electrodomésticos y objetos personales, con el capital que elija.")],
                    ("Tuve una fuga y en dos días estaba arreglada. Ellos se ocuparon de todo.", "Marta, Zaragoza"),
                ),
            ),
            (
                "seguro-salud",
                "Seguro de salud",
                "salud",
                "salud-2026",
                FIELDS,
                blocks(
                    ("Seguro de salud sin esperas", "Especialistas, pruebas y urgencias con el cuadro médico que prefiera.", "Calcular mi precio"),
                    &[("Sin copagos o con copago", "Elija cómo quiere pagar."), ("Cuadro médico amplio", "Compañías con centros en toda España.")],
                    &[("¿Hay carencias?", "Algunas coberturas tienen plazos de carencia; se los explicamos antes de contratar.")],
                    ("Me explicaron las diferencias entre tres compañías en una llamada.", "Jorge, Valencia"),
                ),
            ),
            (
                "seguro-decesos",
                "Seguro de decesos",
                "decesos",
                "decesos-2026",
                FIELDS,
                blocks(
                    ("Tranquilidad para los suyos", "El seguro de decesos se ocupa del servicio y de los trámites cuando más falta hace.", "Infórmeme"),
                    &[("Servicio completo", "Sepelio, trámites y traslado nacional."), ("Asistencia en viaje", "Incluida en la mayoría de las pólizas.")],
                    &[("¿Prima natural o nivelada?", "La natural sube con la edad; la nivelada se mantiene más estable. Le explicamos cuál le conviene.")],
                    ("Cuando falleció mi padre no tuvimos que preocuparnos de nada.", "Carmen, Burgos"),
                ),
            ),
        ];
        let mut rng = XorShift(0x5eed_517e);
        for (slug, title, line_code, campaign, fields, content) in specs {
            let line_id = line(conn, line_code)?;
            let form = LandingForm {
                titulo: title.to_owned(),
                slug: slug.to_owned(),
                descripcion: content.hero.text.clone(),
                linea: line_id.to_string(),
                campana: campaign.to_owned(),
                campos: fields.to_owned(),
                ..LandingForm::blank()
            };
            let draft = form
                .validate(|_| true)
                .map_err(|e| anyhow::anyhow!("demo landing {slug} is invalid: {e:?}"))?;
            let id = editor::create(conn, &draft, &content, now)?;
            let mut variant_ids: Vec<i64> = landings::table
                .inner_join(crate::db::schema::landing_variants::table)
                .filter(landings::id.eq(id))
                .select(crate::db::schema::landing_variants::id)
                .load(conn)?;
            if slug == "seguro-hogar" {
                let mut other = content.clone();
                other.hero.title = "Ahorre en su seguro de hogar este otoño".to_owned();
                other.hero.cta_label = "Ver cuánto puedo ahorrar".to_owned();
                variant_ids.push(editor::add_variant(conn, id, "B", 1, &other)?);
            }
            editor::set_published(conn, id, true, now)?;
            for (index, variant) in variant_ids.iter().enumerate() {
                for days_ago in 0..14 {
                    let visits = rng.between(40, 120);
                    // Variant B converts a little better: something for the stats to show.
                    let rate = if index == 1 { 9 } else { 6 };
                    let conversions = visits * rate / 100 + rng.between(0, 2);
                    diesel::insert_into(landing_daily_stats::table)
                        .values((
                            landing_daily_stats::landing_variant_id.eq(variant),
                            landing_daily_stats::day.eq(crate::landings::today() - Duration::days(days_ago)),
                            landing_daily_stats::visits.eq(visits),
                            landing_daily_stats::conversions.eq(conversions),
                        ))
                        .execute(conn)?;
                }
            }
        }

        // The first demo agent takes the hogar and salud leads; other lines rotate among all.
        let first_agent: Option<i64> = staff_users::table
            .filter(staff_users::role.eq("agent"))
            .filter(staff_users::active.eq(true))
            .order(staff_users::id)
            .select(staff_users::id)
            .first(conn)
            .optional()?;
        if let Some(agent) = first_agent {
            for code in ["hogar", "salud"] {
                let line_id = line(conn, code)?;
                diesel::insert_into(lead_agent_lines::table)
                    .values((lead_agent_lines::staff_id.eq(agent), lead_agent_lines::line_id.eq(line_id)))
                    .on_conflict_do_nothing()
                    .execute(conn)?;
            }
        }

        let today = crate::landings::today();
        let posts = [
            (
                "revisar-seguro-hogar-antes-del-invierno",
                "Cinco cosas que revisar en su seguro de hogar antes del invierno",
                "Heladas, tormentas y calefacción: qué mirar en la póliza para que no haya sorpresas.",
                "## Por qué ahora\n\nEn invierno aumentan los **daños por agua** y los incendios por calefacción.\n\n- Compruebe el capital de continente y de contenido.\n- Mire si cubre la *localización de fugas*.\n- Revise la franquicia.\n- Confirme la asistencia urgente 24 horas.\n- Anote el teléfono de siniestros.\n\n¿Dudas? [Escríbanos](/contacto).",
                20,
            ),
            (
                "seguro-salud-copago-o-sin-copago",
                "Seguro de salud: ¿con copago o sin copago?",
                "Las dos modalidades explicadas con ejemplos, para elegir según cuánto va al médico.",
                "El **copago** abarata la prima a cambio de pagar una pequeña cantidad por consulta.\n\n| Uso | Mejor opción |\n|---|---|\n| Pocas visitas | Con copago |\n| Muchas visitas | Sin copago |\n\nLe calculamos ambas opciones sin compromiso.",
                9,
            ),
            (
                "que-cubre-un-seguro-de-decesos",
                "Qué cubre (y qué no) un seguro de decesos",
                "Servicio funerario, trámites, traslados y asistencia: lo que incluye una póliza típica.",
                "Un seguro de decesos cubre el **servicio funerario** completo y suele incluir:\n\n1. Gestión de trámites.\n2. Traslado nacional.\n3. Asistencia en viaje.\n\nLea siempre el condicionado o pídanos que se lo expliquemos.",
                2,
            ),
        ];
        for (slug, title, summary, body, days_ago) in posts {
            blog::create(
                conn,
                &PostDraft {
                    title: title.to_owned(),
                    slug: slug.to_owned(),
                    summary: summary.to_owned(),
                    body: body.to_owned(),
                    cover_url: None,
                    published_on: Some(today - Duration::days(days_ago)),
                },
                now,
            )?;
        }
        Ok::<_, anyhow::Error>(())
    })
}
