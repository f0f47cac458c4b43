"""The static report site (画像 pages and the overview); `build.build_site` builds it."""
