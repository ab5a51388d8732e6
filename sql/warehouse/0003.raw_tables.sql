-- depends: 0002.roles
-- Raw tables: one per entity, named as in the source system, append-only (never updated in
-- place). Record columns carry the seeds' types; loader columns start with an underscore:
--   _load_id      the batch (audit.loads.batch_id) that brought the row
--   _loaded_at    when that batch committed (the batch's transaction time)
--   _line_number  where the record stood in its file or extract (1-based)
--   _record_hash  md5 of the record's canonical form: an exact re-delivery is skipped
--   _extra        fields the contract does not know, kept beside the record
--   _ingest_seq   total load order, so "the version loaded last" is well defined

create table if not exists raw.orchestration_sessions (
    id integer not null,
    project_id integer,
    feature_request text not null,
    status varchar(50) not null,
    orchestrator_prompt text,
    orchestrator_output text,
    planning_template text,
    analysis_template text,
    implementation_template text,
    testing_template text,
    cleaning_template text,
    analysis_results text,
    implementation_results text,
    testing_results text,
    cleaning_results text,
    metadata jsonb,
    created_at timestamptz,
    updated_at timestamptz not null,
    session_version integer,
    user_identifier varchar(255),
    session_type varchar(50),
    planning_started_at timestamptz,
    planning_completed_at timestamptz,
    analysis_started_at timestamptz,
    analysis_completed_at timestamptz,
    implementation_started_at timestamptz,
    implementation_completed_at timestamptz,
    testing_started_at timestamptz,
    testing_completed_at timestamptz,
    cleaning_started_at timestamptz,
    cleaning_completed_at timestamptz,
    planning_success boolean,
    analysis_success boolean,
    implementation_success boolean,
    testing_success boolean,
    cleaning_success boolean,
    overall_success boolean,
    total_duration_seconds double precision,
    active_duration_seconds double precision,
    retry_count integer,
    manual_interventions integer,
    developer_rating integer check (developer_rating >= 1 and developer_rating <= 5),
    developer_feedback text,
    would_recommend boolean,
    time_saved_hours double precision,
    complexity_score double precision,
    estimated_hours double precision,
    actual_hours double precision,
    accuracy_score double precision,
    _load_id text not null,
    _loaded_at timestamptz not null default now(),
    _line_number bigint,
    _record_hash bytea not null,
    _extra jsonb,
    _ingest_seq bigint generated always as identity
);

create table if not exists raw.orchestration_phase_metrics (
    id integer not null,
    session_id integer not null,
    phase varchar(50) not null,
    phase_index integer not null,
    started_at timestamptz not null,
    completed_at timestamptz,
    duration_seconds double precision,
    idle_time_seconds double precision,
    prompt_tokens integer,
    completion_tokens integer,
    total_tokens integer,
    model_used varchar(100),
    temperature double precision,
    output_length integer,
    template_extraction_success boolean,
    validation_errors integer,
    validation_warnings integer,
    copy_paste_method varchar(50),
    input_method varchar(50),
    user_edits boolean,
    edit_count integer,
    error_occurred boolean,
    error_type varchar(100),
    error_message text,
    error_recovered boolean,
    metadata jsonb,
    created_at timestamptz,
    _load_id text not null,
    _loaded_at timestamptz not null default now(),
    _line_number bigint,
    _record_hash bytea not null,
    _extra jsonb,
    _ingest_seq bigint generated always as identity
);

create table if not exists raw.orchestration_events (
    id bigint not null,
    session_id integer not null,
    event_type varchar(100) not null,
    event_category varchar(50) not null,
    phase varchar(50),
    command varchar(255),
    parameters jsonb,
    result varchar(50),
    "timestamp" timestamptz,
    duration_ms integer,
    user_identifier varchar(255),
    session_version integer,
    error_details text,
    metadata jsonb,
    _load_id text not null,
    _loaded_at timestamptz not null default now(),
    _line_number bigint,
    _record_hash bytea not null,
    _extra jsonb,
    _ingest_seq bigint generated always as identity
);

create table if not exists raw.orchestration_code_metrics (
    id integer not null,
    session_id integer not null,
    files_created integer,
    files_modified integer,
    files_deleted integer,
    total_files integer,
    lines_added integer,
    lines_modified integer,
    lines_deleted integer,
    total_lines integer,
    languages jsonb,
    primary_language varchar(50),
    test_files_created integer,
    test_cases_added integer,
    test_coverage_before double precision,
    test_coverage_after double precision,
    test_coverage_delta double precision,
    cyclomatic_complexity_avg double precision,
    cognitive_complexity_avg double precision,
    maintainability_index double precision,
    technical_debt_minutes integer,
    docs_created integer,
    docs_updated integer,
    comment_lines_added integer,
    documentation_score double precision,
    git_commits integer,
    git_branch varchar(255),
    git_commit_hashes text[],
    pr_created boolean,
    pr_number integer,
    pr_url varchar(500),
    build_time_before_seconds double precision,
    build_time_after_seconds double precision,
    bundle_size_before_kb integer,
    bundle_size_after_kb integer,
    created_at timestamptz,
    updated_at timestamptz not null,
    _load_id text not null,
    _loaded_at timestamptz not null default now(),
    _line_number bigint,
    _record_hash bytea not null,
    _extra jsonb,
    _ingest_seq bigint generated always as identity
);

create table if not exists raw.project_outcomes (
    id uuid not null,
    project_name varchar(255) not null,
    project_path text not null,
    pattern_id varchar(50) not null,
    pattern_name varchar(100) not null,
    components_generated text[],
    files_created integer not null,
    languages_used text[],
    dependencies_installed text[],
    status varchar(20) check (status in ('active', 'archived', 'deleted')),
    last_build_status varchar(20) check (last_build_status in ('success', 'failure')),
    last_build_timestamp timestamptz,
    test_pass_rate numeric(5, 2) check (test_pass_rate >= 0 and test_pass_rate <= 100),
    deployment_status varchar(20),
    user_id uuid,
    workspace_id uuid,
    created_at timestamptz not null,
    updated_at timestamptz not null,
    last_accessed_at timestamptz,
    _load_id text not null,
    _loaded_at timestamptz not null default now(),
    _line_number bigint,
    _record_hash bytea not null,
    _extra jsonb,
    _ingest_seq bigint generated always as identity
);

create table if not exists raw.user_feedback (
    id uuid not null,
    project_outcome_id uuid not null,
    overall_satisfaction smallint not null
    check (overall_satisfaction >= 1 and overall_satisfaction <= 5),
    pattern_usefulness smallint check (pattern_usefulness >= 1 and pattern_usefulness <= 5),
    code_quality smallint check (code_quality >= 1 and code_quality <= 5),
    documentation_clarity smallint
    check (documentation_clarity >= 1 and documentation_clarity <= 5),
    setup_ease smallint check (setup_ease >= 1 and setup_ease <= 5),
    positive_aspects text[],
    negative_aspects text[],
    additional_comments text,
    would_recommend boolean,
    likelihood_to_reuse smallint check (likelihood_to_reuse >= 1 and likelihood_to_reuse <= 10),
    feature_requests text[],
    time_to_first_build integer,
    encountered_errors boolean,
    error_details jsonb,
    feedback_source varchar(20),
    submitted_at timestamptz not null,
    _load_id text not null,
    _loaded_at timestamptz not null default now(),
    _line_number bigint,
    _record_hash bytea not null,
    _extra jsonb,
    _ingest_seq bigint generated always as identity
);

-- An exact re-delivery of a record is skipped, never stored twice; the unique index is the
-- guard behind the loader's own check. _loaded_at serves incremental models and freshness.
create unique index if not exists orchestration_sessions_record_hash_key
on raw.orchestration_sessions (_record_hash);
create unique index if not exists orchestration_phase_metrics_record_hash_key
on raw.orchestration_phase_metrics (_record_hash);
create unique index if not exists orchestration_events_record_hash_key
on raw.orchestration_events (_record_hash);
create unique index if not exists orchestration_code_metrics_record_hash_key
on raw.orchestration_code_metrics (_record_hash);
create unique index if not exists project_outcomes_record_hash_key
on raw.project_outcomes (_record_hash);
create unique index if not exists user_feedback_record_hash_key
on raw.user_feedback (_record_hash);

create index if not exists orchestration_sessions_loaded_at_idx
on raw.orchestration_sessions (_loaded_at);
create index if not exists orchestration_phase_metrics_loaded_at_idx
on raw.orchestration_phase_metrics (_loaded_at);
create index if not exists orchestration_events_loaded_at_idx
on raw.orchestration_events (_loaded_at);
create index if not exists orchestration_code_metrics_loaded_at_idx
on raw.orchestration_code_metrics (_loaded_at);
create index if not exists project_outcomes_loaded_at_idx
on raw.project_outcomes (_loaded_at);
create index if not exists user_feedback_loaded_at_idx
on raw.user_feedback (_loaded_at);
