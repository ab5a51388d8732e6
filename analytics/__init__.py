"""What analysts and BI tools use: read-only logins, the analytics API, the HTML report."""
