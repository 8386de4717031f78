"""The coalition service: partners share released alerts over HTTP, and the web map."""
