-- VibeForge/DataForge's outcome-tracking tables as the outcome seed defines them. Used for the
-- demo source database and the source-database ingest tests; the warehouse never runs it.

create table if not exists project_outcomes (
    id uuid primary key default gen_random_uuid(),
    project_name varchar(255) not null,
    project_path text not null,
    pattern_id varchar(50) not null,
    pattern_name varchar(100) not null,
    components_generated text[],
    files_created integer not null default 0,
    languages_used text[],
    dependencies_installed text[],
    status varchar(20) default 'active',
    last_build_status varchar(20),
    last_build_timestamp timestamptz,
    test_pass_rate decimal(5, 2),
    deployment_status varchar(20),
    user_id uuid,
    workspace_id uuid,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    last_accessed_at timestamptz,
    constraint valid_status check (status in ('active', 'archived', 'deleted')),
    constraint valid_build_status check (
        last_build_status in ('success', 'failure') or last_build_status is null
    ),
    constraint valid_test_rate check (test_pass_rate >= 0 and test_pass_rate <= 100)
);

create index if not exists idx_project_outcomes_pattern on project_outcomes (pattern_id);
create index if not exists idx_project_outcomes_updated on project_outcomes (updated_at);

create table if not exists user_feedback (
    id uuid primary key default gen_random_uuid(),
    -- the seed references project_outcomes; feedback may be extracted before its project, and
    -- the demo loads feedback whose project the generator never produced, so no foreign key
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
    encountered_errors boolean default false,
    error_details jsonb,
    feedback_source varchar(20) default 'modal',
    submitted_at timestamptz not null default now()
);

create index if not exists idx_user_feedback_project on user_feedback (project_outcome_id);
create index if not exists idx_user_feedback_submitted on user_feedback (submitted_at);
