//! WS-Management (MS-WSMV) client for the WinRM shell resource: SOAP envelopes, operations,
//! faults, authentication and message encryption.
