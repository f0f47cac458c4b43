"""The `zhengai` command, its settings and the few helpers every room uses (school clock, SQL quoting)."""
