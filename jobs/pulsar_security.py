"""Securing a Pulsar connection: token authentication and TLS, as the connector's client properties.

The token comes from a file (``token_file``, read by the Pulsar client where
the job runs, so it never enters the job graph) or from an environment
variable of the submitting process (``token_env``). It is kept out of every
``repr``, error message and log line of the job.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

TOKEN_PLUGIN = "org.apache.pulsar.client.impl.auth.AuthenticationToken"


@dataclass(frozen=True)
class PulsarSecurity:
    token_file: Path | None = None
    token_env: str | None = None  # the variable's name
    token: str | None = field(default=None, repr=False)  # the variable's value, when token_env is set
    trust_certs: Path | None = None  # PEM file of the certificate authorities to trust
    hostname_verification: bool = True
    allow_insecure: bool = False

    def client_properties(self) -> dict[str, str]:
        """The connector's ``pulsar.client.*`` settings for this connection (empty: Pulsar's defaults)."""
        properties = {}
        if self.token_file is not None:
            properties["pulsar.client.authParams"] = f"file://{self.token_file}"
        elif self.token is not None:
            properties["pulsar.client.authParams"] = f"token:{self.token}"
        if properties:
            properties["pulsar.client.authPluginClassName"] = TOKEN_PLUGIN
        if self.trust_certs is not None:
            properties["pulsar.client.tlsTrustCertsFilePath"] = str(self.trust_certs)
        properties["pulsar.client.tlsHostnameVerificationEnable"] = str(self.hostname_verification).lower()
        properties["pulsar.client.tlsAllowInsecureConnection"] = str(self.allow_insecure).lower()
        return properties
