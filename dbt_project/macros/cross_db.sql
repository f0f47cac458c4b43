{#- SQL that differs between the warehouse (DuckDB) and the benchmark's peer (PostgreSQL 15).
    Each macro dispatches on the adapter: duckdb__ is the nightly path, in DuckDB's own
    functions (fast), default__ the peer's. Models call these instead of engine-only
    functions; what portable SQL looks like is in the project README. -#}

{#- A value that does not convert becomes null (DuckDB's try_cast).
    `type` is one of bigint, integer, double, boolean, date, timestamp.
    `from_type` (optional) is the type the value already has, when it is not text: the
    typed columns of the raw layer (BIGINT, INTEGER, DOUBLE, BOOLEAN, TIMESTAMP in the
    source contract). It does not change DuckDB's SQL; on PostgreSQL it lets a typed value
    be cast directly instead of going through its text (a bigint → integer cast that does
    not fit still gives null).
    Text on PostgreSQL, after trimming (booleans are not trimmed, as in DuckDB):
      bigint, integer  a decimal number, rounded ('7', '+7', '7.5', '1e3'), null out of range
      double           a decimal number with an optional exponent up to e±99, nan, inf, infinity
      boolean          true/false, t/f, yes/no, y/n, 1/0 in any case
      date             YYYY-MM-DD (or YYYY/MM/DD) of a real day, optionally followed by a
                       time; the time is dropped
      timestamp        such a date, optionally followed by ' ' or 'T' and HH:MM[:SS[.ffffff]]
    DuckDB's casts accept a few more spellings (unpadded months and days, '1_000', hex);
    the sources' contract writes none of them.
    `trimmed=true` says the value is text without surrounding blanks already (clean_text),
    so PostgreSQL need not trim it again: the big logs' dates go through here. -#}
{% macro try_cast_as(expr, type, from_type=none, trimmed=false) -%}
    {{ return(adapter.dispatch('try_cast_as', 'zhengai')(expr, type, from_type, trimmed)) }}
{%- endmacro %}

{% macro duckdb__try_cast_as(expr, type, from_type=none, trimmed=false) -%}
    try_cast({{ expr }} as {{ type }})
{%- endmacro %}

{% macro default__try_cast_as(expr, type, from_type=none, trimmed=false) -%}
    {%- set type = type | lower -%}
    {%- set pg_type = {'bigint': 'bigint', 'integer': 'integer', 'double': 'double precision',
                       'boolean': 'boolean', 'date': 'date', 'timestamp': 'timestamp'} -%}
    {%- if type not in pg_type -%}
        {{ exceptions.raise_compiler_error("try_cast_as: no PostgreSQL version for type " ~ type) }}
    {%- endif -%}
    {%- set source = (from_type or 'text') | lower -%}
    {%- set source = {'double precision': 'double', 'float8': 'double', 'int': 'integer', 'int4': 'integer',
                      'int8': 'bigint', 'varchar': 'text', 'bool': 'boolean'}.get(source, source) -%}
    {%- set numeric_types = ['bigint', 'integer', 'double'] -%}
    {%- set limits = {'bigint': ('-9223372036854775808', '9223372036854775807'),
                      'integer': ('-2147483648', '2147483647')} -%}
    {%- if source == type -%}
        cast({{ expr }} as {{ pg_type[type] }})
    {%- elif source in numeric_types and type == 'double' -%}
        cast({{ expr }} as double precision)
    {%- elif source in numeric_types and type in limits -%}
        {%- if source == 'integer' or (source == 'bigint' and type == 'bigint') -%}
        cast({{ expr }} as {{ type }})
        {%- else -%}
        {#- a double next to 2^63 rounds onto it: keep clear of bigint's ends -#}
        {%- set low, high = ('-9.2e18', '9.2e18') if type == 'bigint' else limits[type] -%}
        case when {{ expr }} >= {{ low }} and {{ expr }} <= {{ high }} then cast({{ expr }} as {{ type }}) end
        {%- endif -%}
    {%- elif source in numeric_types and type == 'boolean' -%}
        case when {{ expr }} is not null then {{ expr }} <> 0 end
    {%- elif source == 'timestamp' and type == 'date' -%}
        cast({{ expr }} as date)
    {%- elif source == 'date' and type == 'timestamp' -%}
        cast({{ expr }} as timestamp)
    {%- elif trimmed -%}
        {{ pg_try_cast_text(expr, type, trimmed=true) }}
    {%- else -%}
        {{ pg_try_cast_text("cast(" ~ expr ~ " as text)", type) }}
    {%- endif -%}
{%- endmacro %}

{#- PostgreSQL: text → type, null when it does not convert (see try_cast_as). Every cast
    sits inside a CASE branch whose condition has already checked the text, so a bad value
    never raises an error. `trimmed`: text_expr has no surrounding blanks (booleans are
    never trimmed, as in DuckDB). -#}
{% macro pg_try_cast_text(text_expr, type, trimmed=false) -%}
    {%- set t = text_expr if trimmed else "trim(" ~ text_expr ~ ")" -%}
    {#- The usual spellings, YYYY-MM-DD and YYYY-MM-DD HH:MM:SS, take one simple pattern and a
        check of the day against its month (PostgreSQL's regular expressions are slow, and
        the big logs carry millions of these); other spellings the general patterns below. -#}
    {%- set canonical_date = "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])" -%}
    {%- set canonical_clock = " ([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]" -%}
    {%- set year = "cast(substr(" ~ t ~ ", 1, 4) as integer)" -%}
    {%- set leap = "(" ~ year ~ " % 4 = 0 and (" ~ year ~ " % 100 <> 0 or " ~ year ~ " % 400 = 0))" -%}
    {%- set month = "substr(" ~ t ~ ", 6, 2)" -%}
    {%- set day = "substr(" ~ t ~ ", 9, 2)" -%}
    {%- set real_day = "substr(" ~ t ~ ", 1, 4) <> '0000' and (" ~ day ~ " <= '28' or " ~ day ~ " <= case when "
        ~ month ~ " in ('04', '06', '09', '11') then '30' when " ~ month ~ " <> '02' then '31' when " ~ leap
        ~ " then '29' else '28' end)" -%}
    {#- a real day: days 01-28 of any month, 29-30 of all months but February, 31 of the long
        months; 29 February only in leap years. PostgreSQL rejects year 0. -#}
    {%- set ymd = "(?!0000)[0-9]{4}[-/]((0[1-9]|1[0-2])[-/](0[1-9]|1[0-9]|2[0-8])|(0[13-9]|1[0-2])[-/](29|30)|(0[13578]|1[02])[-/]31)" -%}
    {%- set feb29 = "(?!0000)[0-9]{4}[-/]02[-/]29" -%}
    {%- set clock = "([ T]([01]?[0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9]([.][0-9]{1,6})?)?|[ T]24:00(:00([.]0{1,6})?)?)?" -%}
    {#- numbers: at most 60 (integers) or 190 (doubles) characters and an exponent of two
        digits, so that no value the pattern accepts overflows numeric or double precision -#}
    {%- set number = "^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]{1,2})?$" -%}
    {%- if type in ('bigint', 'integer') -%}
        {%- set limit = '9223372036854775807' if type == 'bigint' else '2147483647' -%}
        case when length({{ t }}) <= 60 and {{ t }} ~ '{{ number }}'
            then case when round(cast({{ t }} as numeric)) between -{{ limit }} - 1 and {{ limit }}
                then cast(round(cast({{ t }} as numeric)) as {{ type }}) end
        end
    {%- elif type == 'double' -%}
        case when (length({{ t }}) <= 190 and {{ t }} ~ '{{ number }}') or {{ t }} ~* '^[+-]?(nan|inf|infinity)$'
            then cast({{ t }} as double precision)
        end
    {%- elif type == 'boolean' -%}
        case when {{ text_expr }} ~* '^(true|false|t|f|yes|no|y|n|1|0)$' then cast({{ text_expr }} as boolean) end
    {%- elif type == 'date' -%}
        case
            when {{ t }} ~ '{{ canonical_date }}$' then case when {{ real_day }} then cast({{ t }} as date) end
            when {{ t }} ~ '^{{ ymd }}([ T].*)?$' then cast(substr({{ t }}, 1, 10) as date)
            when {{ t }} ~ '^{{ feb29 }}([ T].*)?$' then
                case when {{ leap }} then cast(substr({{ t }}, 1, 10) as date) end
        end
    {%- elif type == 'timestamp' -%}
        case
            when {{ t }} ~ '{{ canonical_date }}{{ canonical_clock }}$' then
                case when {{ real_day }} then cast({{ t }} as timestamp) end
            when {{ t }} ~ '^{{ ymd }}{{ clock }}$' then cast({{ t }} as timestamp)
            when {{ t }} ~ '^{{ feb29 }}{{ clock }}$' then
                case when {{ leap }} then cast({{ t }} as timestamp) end
        end
    {%- else -%}
        {{ exceptions.raise_compiler_error("pg_try_cast_text: no PostgreSQL version for type " ~ type) }}
    {%- endif -%}
{%- endmacro %}

{#- A date from text written YYYYMMDD (the 教务 register's birth dates), null when it is not
    a real day. -#}
{% macro try_date_from_yyyymmdd(text_expr) -%}
    {{ return(adapter.dispatch('try_date_from_yyyymmdd', 'zhengai')(text_expr)) }}
{%- endmacro %}

{% macro duckdb__try_date_from_yyyymmdd(text_expr) -%}
    try_strptime({{ text_expr }}, '%Y%m%d')::date
{%- endmacro %}

{% macro default__try_date_from_yyyymmdd(text_expr) -%}
    {%- set t = "trim(cast(" ~ text_expr ~ " as text))" -%}
    case when {{ t }} ~ '^[0-9]{8}$'
        then {{ pg_try_cast_text("substr(" ~ t ~ ", 1, 4) || '-' || substr(" ~ t ~ ", 5, 2) || '-' || substr(" ~ t ~ ", 7, 2)", 'date', trimmed=true) }}
    end
{%- endmacro %}

{#- 'YYYY-MM' of a date: the month grain of the attendance and dorm marts. -#}
{% macro month_label(date_expr) -%}
    {{ return(adapter.dispatch('month_label', 'zhengai')(date_expr)) }}
{%- endmacro %}

{% macro duckdb__month_label(date_expr) -%}
    strftime({{ date_expr }}, '%Y-%m')
{%- endmacro %}

{% macro default__month_label(date_expr) -%}
    to_char({{ date_expr }}, 'YYYY-MM')
{%- endmacro %}

{#- A part of a date as a bigint (DuckDB's year(), month(), isodow()): `part` is year,
    month, day or isodow (1 Monday … 7 Sunday). -#}
{% macro date_part_number(part, date_expr) -%}
    {{ return(adapter.dispatch('date_part_number', 'zhengai')(part, date_expr)) }}
{%- endmacro %}

{% macro duckdb__date_part_number(part, date_expr) -%}
    {{ part }}({{ date_expr }})
{%- endmacro %}

{% macro default__date_part_number(part, date_expr) -%}
    cast(extract({{ part }} from {{ date_expr }}) as bigint)
{%- endmacro %}

{#- The date of year, month, day (integers). -#}
{% macro date_from_parts(year, month, day) -%}
    {{ return(adapter.dispatch('date_from_parts', 'zhengai')(year, month, day)) }}
{%- endmacro %}

{% macro duckdb__date_from_parts(year, month, day) -%}
    make_date({{ year }}, {{ month }}, {{ day }})
{%- endmacro %}

{% macro default__date_from_parts(year, month, day) -%}
    make_date(cast({{ year }} as integer), cast({{ month }} as integer), cast({{ day }} as integer))
{%- endmacro %}

{#- A table of timestamps, one a day from `start_ts` up to, not including, `end_ts`; use as
    `from {{ day_series(a, b) }} as spine(day)`. -#}
{% macro day_series(start_ts, end_ts) -%}
    {{ return(adapter.dispatch('day_series', 'zhengai')(start_ts, end_ts)) }}
{%- endmacro %}

{% macro duckdb__day_series(start_ts, end_ts) -%}
    range({{ start_ts }}, {{ end_ts }}, interval 1 day)
{%- endmacro %}

{% macro default__day_series(start_ts, end_ts) -%}
    generate_series({{ start_ts }}, ({{ end_ts }}) - interval '1 day', interval '1 day')
{%- endmacro %}

{#- Aggregate: `value` of the row with the largest `order_by` (rows where order_by is null
    are ignored; ties pick any of them), DuckDB's max_by. -#}
{% macro max_by_value(value, order_by) -%}
    {{ return(adapter.dispatch('max_by_value', 'zhengai')(value, order_by)) }}
{%- endmacro %}

{% macro duckdb__max_by_value(value, order_by) -%}
    max_by({{ value }}, {{ order_by }})
{%- endmacro %}

{% macro default__max_by_value(value, order_by) -%}
    (array_agg({{ value }} order by {{ order_by }} desc) filter (where {{ order_by }} is not null))[1]
{%- endmacro %}

{#- The first capture group of `pattern` in `text_expr`, '' when it does not match, null
    for null text (DuckDB's regexp_extract(text, pattern, 1)). `pattern` is a SQL string
    literal, quotes included. -#}
{% macro regexp_first_group(text_expr, pattern) -%}
    {{ return(adapter.dispatch('regexp_first_group', 'zhengai')(text_expr, pattern)) }}
{%- endmacro %}

{% macro duckdb__regexp_first_group(text_expr, pattern) -%}
    regexp_extract({{ text_expr }}, {{ pattern }}, 1)
{%- endmacro %}

{% macro default__regexp_first_group(text_expr, pattern) -%}
    case when {{ text_expr }} is not null then coalesce(substring({{ text_expr }} from {{ pattern }}), '') end
{%- endmacro %}

{#- A double rounded to `digits` decimals, as a double (PostgreSQL rounds only numeric). -#}
{% macro round_float(expr, digits) -%}
    {{ return(adapter.dispatch('round_float', 'zhengai')(expr, digits)) }}
{%- endmacro %}

{% macro duckdb__round_float(expr, digits) -%}
    round({{ expr }}, {{ digits }})
{%- endmacro %}

{% macro default__round_float(expr, digits) -%}
    cast(round(cast({{ expr }} as numeric), {{ digits }}) as double precision)
{%- endmacro %}

{#- The text of one top-level field of a JSON value (ingest's raw_values): DuckDB's
    json_extract_string, PostgreSQL's ->>. -#}
{% macro json_text_field(json_expr, field) -%}
    {{ return(adapter.dispatch('json_text_field', 'zhengai')(json_expr, field)) }}
{%- endmacro %}

{% macro duckdb__json_text_field(json_expr, field) -%}
    json_extract_string({{ json_expr }}, '$.{{ field }}')
{%- endmacro %}

{% macro default__json_text_field(json_expr, field) -%}
    (cast({{ json_expr }} as json) ->> '{{ field }}')
{%- endmacro %}
