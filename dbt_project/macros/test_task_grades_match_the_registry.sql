{#- The grade shown beside the task control points' status agrees with it: one policy row,
    whose grade bands are the standard and warning values of DEP_TASK_ACHIEVEMENT and
    SCH_TASK_ACHIEVEMENT, so that 不达标 is exactly 预警 (and the department hears it). -#}
{% test task_grades_match_the_registry(model) %}
select 'task_policy rows' as mismatch, count(*) as found
from {{ model }}
having count(*) <> 1
union all
select points.code, 1
from {{ ref('quality_control_points') }} as points
cross join {{ model }} as policy
where points.code in ('DEP_TASK_ACHIEVEMENT', 'SCH_TASK_ACHIEVEMENT')
  and (points.standard_value <> policy.grade_met_from
       or points.warning_value <> policy.grade_basically_met_from)
{% endtest %}
