"""诊改报告 drafts as .docx; `build.build_drafts` writes them."""
