"""The web server: agent page, supervisor wallboard, JSON API, live stream and operators' endpoints."""
