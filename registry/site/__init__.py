"""The public site: the map, the lists, the detail pages, the statistics, the embed, and the forms
through which anyone suggests an initiative or confirms one. It shows the register's domain
(registry.models, registry.filters, registry.actions) to the public and changes nothing itself."""
