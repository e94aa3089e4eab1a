"""Single sign-on with OpenID Connect: the provider's verified e-mail finds or creates the login, its groups
give the role, and local passwords can be switched off."""
