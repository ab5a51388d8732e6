with

source as (
    {{ without_held_batches(source('prompt_runner', 'orchestration_code_metrics')) }}
),

final as (
    select
        -- ids
        id as code_metric_id,
        session_id,

        -- strings
        nullif(primary_language, '')::text as primary_language,
        nullif(git_branch, '')::text as git_branch,
        nullif(pr_url, '')::text as pr_url,

        -- json and arrays
        languages,
        git_commit_hashes,

        -- numerics
        files_created,
        files_modified,
        files_deleted,
        total_files,
        lines_added,
        lines_modified,
        lines_deleted,
        total_lines,
        test_files_created,
        test_cases_added,
        test_coverage_before,
        test_coverage_after,
        test_coverage_delta,
        cyclomatic_complexity_avg,
        cognitive_complexity_avg,
        maintainability_index,
        technical_debt_minutes,
        docs_created,
        docs_updated,
        comment_lines_added,
        documentation_score,
        git_commits,
        pr_number,
        build_time_before_seconds,
        build_time_after_seconds,
        bundle_size_before_kb,
        bundle_size_after_kb,

        -- booleans
        pr_created as has_pull_request,
        {{ is_plausible_time('created_at') }} as is_created_at_plausible,

        -- timestamps
        created_at,
        {{ plausible_date('created_at') }} as created_date,
        updated_at,

        -- loader
        _load_id,
        _effective_loaded_at as _loaded_at,
        _ingest_seq
    from source
)

select * from final
