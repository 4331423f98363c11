"""The attributes the test IdP releases, by their urn:oid names (the form
French universities' IdPs use in the RENATER federation), each with its
FriendlyName: eduPerson and SupAnn."""

MAP = {
    "identifier": "urn:oasis:names:tc:SAML:2.0:attrname-format:uri",
    "fro": {
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.6": "eduPersonPrincipalName",
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.10": "eduPersonTargetedID",
        "urn:oid:0.9.2342.19200300.100.1.3": "mail",
        "urn:oid:2.5.4.42": "givenName",
        "urn:oid:2.5.4.4": "sn",
        "urn:oid:1.3.6.1.4.1.7135.1.2.1.26": "supannCodeINE",
        "urn:oid:1.3.6.1.4.1.7135.1.2.1.11": "supannEtuId",
    },
    "to": {
        "eduPersonPrincipalName": "urn:oid:1.3.6.1.4.1.5923.1.1.1.6",
        "eduPersonTargetedID": "urn:oid:1.3.6.1.4.1.5923.1.1.1.10",
        "mail": "urn:oid:0.9.2342.19200300.100.1.3",
        "givenName": "urn:oid:2.5.4.42",
        "sn": "urn:oid:2.5.4.4",
        "supannCodeINE": "urn:oid:1.3.6.1.4.1.7135.1.2.1.26",
        "supannEtuId": "urn:oid:1.3.6.1.4.1.7135.1.2.1.11",
    },
}
