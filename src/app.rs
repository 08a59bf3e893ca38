//! Builds the application, the same for `main` and for the tests. Read
//! [`register`] as the table of contents of the API.

use actix_cors::Cors;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method};
use actix_web::middleware::{from_fn, DefaultHeaders, Logger};
use actix_web::{web, App, HttpResponse};
use utoipa::openapi::OpenApi;
use utoipa_actix_web::{scope, AppExt, UtoipaApp};
use utoipa_swagger_ui::SwaggerUi;

use crate::api::{self, middleware};
use crate::auth::accounts::AccountCache;
use crate::auth::throttle::LoginThrottle;
use crate::auth::Authenticator;
use crate::config::Config;
use crate::db::Pool;
use crate::openapi;

/// Everything the handlers share, built once and handed to every worker.
#[derive(Clone)]
pub struct AppState {
    pub config: Config,
    pub pool: web::Data<Pool>,
    /// Where reads go: the primary, or a standby (`db::replica`).
    pub reads: web::Data<crate::db::replica::Reads>,
    pub auth: web::Data<Authenticator>,
    pub throttle: web::Data<LoginThrottle>,
    pub accounts: web::Data<AccountCache>,
    pub routes: web::Data<middleware::RouteTable>,
    /// Where files are kept (photos of visits, evidence of deliveries).
    pub objects: web::Data<crate::storage::Objects>,
    pub api: OpenApi,
    /// SQLite's WAL checkpoints for as long as the service runs.
    _checkpointer: Option<std::sync::Arc<crate::db::checkpoint::Checkpointer>>,
}

impl AppState {
    pub fn new(config: Config, pool: Pool) -> Result<AppState, String> {
        let api = openapi_document();
        Ok(AppState {
            auth: web::Data::new(Authenticator::new(&config.jwt)?),
            throttle: web::Data::new(LoginThrottle::new(
                config.login_attempts_per_minute,
                config.login_client_ceiling,
            )),
            accounts: web::Data::new(AccountCache::new(std::time::Duration::from_millis(
                config.account_cache_ms,
            ))),
            routes: web::Data::new(middleware::RouteTable::from_openapi(&api)),
            reads: web::Data::new(crate::db::replica::reads_for(
                pool.clone(),
                config.read_database_url.as_deref(),
                config.pool_size,
                std::time::Duration::from_millis(config.read_replica_max_lag_ms),
            )),
            pool: web::Data::new(pool),
            objects: web::Data::new(crate::storage::Objects::open(&config.object_store)?),
            _checkpointer: crate::db::checkpoint::Checkpointer::start(&config.database_url)?
                .map(std::sync::Arc::new),
            api,
            config,
        })
    }
}

/// Every route of the service, each registered with its OpenAPI entry.
fn register<T>(app: UtoipaApp<T>) -> UtoipaApp<T>
where
    T: ServiceFactory<ServiceRequest, Config = (), Error = actix_web::Error, InitError = ()>,
{
    app.service(
        scope::scope("/api/v1")
            .configure(api::auth::configure)
            .configure(api::users::configure)
            .configure(api::regions::configure)
            .configure(api::cycles::configure)
            .configure(api::datasets::configure)
            .configure(api::households::configure)
            .configure(api::household_history::configure)
            .configure(api::imports::configure)
            .configure(api::programs::configure)
            .configure(api::targets::configure)
            .configure(api::recommendations::configure)
            .configure(api::companies::configure)
            .configure(api::exemption_letters::configure)
            // issue 14: the batch before `/verifications/{id}`
            .configure(api::verification_batch::configure)
            .configure(api::verification_photos::configure)
            .configure(api::verification_forms::configure)
            .configure(api::deliveries::configure)
            // issue 15: realisation reports, the realisation of a cycle
            .configure(api::realisation::configure)
            .configure(api::program_annex::configure)
            .configure(api::verifications::configure)
            .configure(api::reports::configure)
            .configure(api::public::configure)
            // change requests (issue 14)
            .configure(api::change_requests::configure)
            .configure(api::audit::configure)
            .configure(api::events::configure)
            .configure(api::webhooks::configure),
    )
    .configure(api::health::configure)
}

/// The contract, generated from the same registrations that serve.
pub fn openapi_document() -> OpenApi {
    let (_, api) =
        register(App::new().into_utoipa_app().openapi(openapi::base())).split_for_parts();
    openapi::finish(api)
}

fn cors(origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::ACCEPT,
            header::HeaderName::from_static("idempotency-key"),
            header::HeaderName::from_static("x-request-id"),
        ])
        .expose_headers([
            header::ETAG,
            header::LINK,
            header::LOCATION,
            header::RETRY_AFTER,
            header::HeaderName::from_static("x-request-id"),
            header::HeaderName::from_static("x-exposure-cap"),
            header::HeaderName::from_static("x-exposure-remaining"),
        ])
        .max_age(3600);
    for origin in origins {
        cors = if origin == "*" {
            cors.allow_any_origin()
        } else {
            cors.allowed_origin(origin)
        };
    }
    cors
}

/// One line per request: the path only (`%U`), never the query string
/// (`%r` would log it): `?q=` may carry a name or a NIK, and nothing personal
/// goes to the logs.
pub const ACCESS_LOG_FORMAT: &str = "%a \"%{method}xi %U\" %s %b %Dms rid=%{x-request-id}o";

/// Headers on every response unless a handler set its own: no MIME sniffing,
/// no framing (clickjacking), no referrer, and nothing kept in caches, since
/// most answers carry personal data.
fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::CONTENT_SECURITY_POLICY, "frame-ancestors 'none'"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::REFERRER_POLICY, "no-referrer"))
        .add((header::CACHE_CONTROL, "no-store"))
}

/// The application with its middleware, data and routes.
pub fn build(
    state: &AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let cfg = &state.config;
    let body_limits = middleware::BodyLimits::new(cfg.body_limit)
        .upload(
            Method::POST,
            "/api/v1/household-imports",
            cfg.import_limit,
            api::access::CREATE_IMPORT,
        )
        .upload(
            Method::PUT,
            "/api/v1/exemption-letters/{id}/document",
            api::exemption_letters::MAX_DOCUMENT,
            api::access::PUT_DOCUMENT,
        )
        // issue 14: field work as it happens
        .upload(
            Method::POST,
            "/api/v1/verifications/batch",
            api::verification_batch::MAX_BATCH_BODY,
            api::access::RECORD_VERIFICATION_BATCH,
        )
        .upload(
            Method::POST,
            "/api/v1/verifications/{id}/photos",
            crate::domain::photo::MAX_PHOTO_BYTES,
            api::access::ADD_VERIFICATION_PHOTO,
        )
        .upload(
            Method::POST,
            "/api/v1/verification-submissions",
            api::verification_batch::MAX_BATCH_BODY,
            api::access::SUBMIT_VERIFICATIONS,
        )
        // issue 15: evidence of deliveries
        .upload(
            Method::POST,
            "/api/v1/deliveries/{id}/evidence",
            crate::domain::delivery::MAX_EVIDENCE_BYTES,
            api::access::ADD_DELIVERY_EVIDENCE,
        );
    let (app, _) = register(App::new().into_utoipa_app()).split_for_parts();
    app.app_data(state.pool.clone())
        .app_data(state.reads.clone())
        .app_data(web::Data::new(state.config.clone()))
        .app_data(state.auth.clone())
        .app_data(state.throttle.clone())
        .app_data(state.accounts.clone())
        .app_data(state.routes.clone())
        .app_data(state.objects.clone())
        .app_data(web::Data::new(body_limits))
        .app_data(
            web::JsonConfig::default()
                .limit(cfg.body_limit)
                .error_handler(api::json_error),
        )
        .app_data(web::QueryConfig::default().error_handler(api::query_error))
        .app_data(web::PathConfig::default().error_handler(api::path_error))
        .app_data(web::PayloadConfig::default().limit(cfg.body_limit))
        .service(
            SwaggerUi::new("/swagger-ui/{_:.*}").url("/api-docs/openapi.json", state.api.clone()),
        )
        .route(
            "/swagger-ui",
            web::get().to(|| async {
                HttpResponse::PermanentRedirect()
                    .insert_header((header::LOCATION, "/swagger-ui/"))
                    .finish()
            }),
        )
        .default_service(web::to(middleware::fallback))
        .wrap(from_fn(middleware::remember_writes))
        .wrap(from_fn(middleware::idempotency))
        .wrap(from_fn(middleware::body_guard))
        .wrap(from_fn(middleware::vary_accept))
        .wrap(cors(&cfg.cors_origins))
        .wrap(from_fn(middleware::cors_problem))
        .wrap(security_headers())
        .wrap(from_fn(middleware::request_id))
        // Outermost, so it sees the request id the layer inside sets.
        .wrap(
            Logger::new(ACCESS_LOG_FORMAT)
                .custom_request_replace("method", |req| req.method().to_string()),
        )
}
