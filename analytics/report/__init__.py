"""The static HTML report: the marts in charts plus the warehouse's health, one offline file."""
