"""The review page's static assets (package data: HTML, CSS, JavaScript)."""
