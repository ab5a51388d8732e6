-- The prompt-runner's operational tables as the orchestration seed defines them (the
-- orchestration_sessions "current fields" with every column the enhancement adds). Used for
-- the demo source database and the source-database ingest tests; the warehouse never runs it.
-- projects(id) is not part of the seed, so project_id carries no foreign key; the child tables
-- carry none either, as in the seed's migration phase 1 ("create new tables without foreign
-- key constraints"), so a demo source can hold children whose session was never delivered.

create table if not exists orchestration_sessions (
    id serial primary key,
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
    metadata json,
    created_at timestamp with time zone,
    updated_at timestamp with time zone,
    session_version integer default 1,
    user_identifier varchar(255),
    session_type varchar(50) default 'manual',
    planning_started_at timestamp with time zone,
    planning_completed_at timestamp with time zone,
    analysis_started_at timestamp with time zone,
    analysis_completed_at timestamp with time zone,
    implementation_started_at timestamp with time zone,
    implementation_completed_at timestamp with time zone,
    testing_started_at timestamp with time zone,
    testing_completed_at timestamp with time zone,
    cleaning_started_at timestamp with time zone,
    cleaning_completed_at timestamp with time zone,
    planning_success boolean,
    analysis_success boolean,
    implementation_success boolean,
    testing_success boolean,
    cleaning_success boolean,
    overall_success boolean,
    total_duration_seconds float,
    active_duration_seconds float,
    retry_count integer default 0,
    manual_interventions integer default 0,
    developer_rating integer check (developer_rating >= 1 and developer_rating <= 5),
    developer_feedback text,
    would_recommend boolean,
    time_saved_hours float,
    complexity_score float,
    estimated_hours float,
    actual_hours float,
    accuracy_score float
);

create index if not exists idx_orchestration_sessions_user
on orchestration_sessions (user_identifier);
create index if not exists idx_orchestration_sessions_status on orchestration_sessions (status);
create index if not exists idx_orchestration_sessions_created
on orchestration_sessions (created_at);
create index if not exists idx_orchestration_sessions_updated
on orchestration_sessions (updated_at);
create index if not exists idx_orchestration_sessions_success
on orchestration_sessions (overall_success);

create table if not exists orchestration_phase_metrics (
    id serial primary key,
    session_id integer not null,
    phase varchar(50) not null,
    phase_index integer not null,
    started_at timestamp with time zone not null,
    completed_at timestamp with time zone,
    duration_seconds float,
    idle_time_seconds float,
    prompt_tokens integer,
    completion_tokens integer,
    total_tokens integer,
    model_used varchar(100),
    temperature float,
    output_length integer,
    template_extraction_success boolean,
    validation_errors integer default 0,
    validation_warnings integer default 0,
    copy_paste_method varchar(50),
    input_method varchar(50),
    user_edits boolean default false,
    edit_count integer default 0,
    error_occurred boolean default false,
    error_type varchar(100),
    error_message text,
    error_recovered boolean default false,
    metadata jsonb,
    created_at timestamp with time zone default current_timestamp,
    constraint unique_session_phase unique (session_id, phase)
);

create index if not exists idx_phase_metrics_session on orchestration_phase_metrics (session_id);
create index if not exists idx_phase_metrics_phase on orchestration_phase_metrics (phase);

create table if not exists orchestration_events (
    id serial primary key,
    session_id integer not null,
    event_type varchar(100) not null,
    event_category varchar(50) not null,
    phase varchar(50),
    command varchar(255),
    parameters jsonb,
    result varchar(50),
    "timestamp" timestamp with time zone default current_timestamp,
    duration_ms integer,
    user_identifier varchar(255),
    session_version integer,
    error_details text,
    metadata jsonb
);

create index if not exists idx_events_session on orchestration_events (session_id);
create index if not exists idx_events_timestamp on orchestration_events ("timestamp");

create table if not exists orchestration_code_metrics (
    id serial primary key,
    session_id integer not null,
    files_created integer default 0,
    files_modified integer default 0,
    files_deleted integer default 0,
    total_files integer default 0,
    lines_added integer default 0,
    lines_modified integer default 0,
    lines_deleted integer default 0,
    total_lines integer default 0,
    languages jsonb,
    primary_language varchar(50),
    test_files_created integer default 0,
    test_cases_added integer default 0,
    test_coverage_before float,
    test_coverage_after float,
    test_coverage_delta float,
    cyclomatic_complexity_avg float,
    cognitive_complexity_avg float,
    maintainability_index float,
    technical_debt_minutes integer,
    docs_created integer default 0,
    docs_updated integer default 0,
    comment_lines_added integer default 0,
    documentation_score float,
    git_commits integer default 0,
    git_branch varchar(255),
    git_commit_hashes text[],
    pr_created boolean default false,
    pr_number integer,
    pr_url varchar(500),
    build_time_before_seconds float,
    build_time_after_seconds float,
    bundle_size_before_kb integer,
    bundle_size_after_kb integer,
    created_at timestamp with time zone default current_timestamp,
    updated_at timestamp with time zone default current_timestamp
);

create index if not exists idx_code_metrics_session on orchestration_code_metrics (session_id);
create index if not exists idx_code_metrics_updated on orchestration_code_metrics (updated_at);
