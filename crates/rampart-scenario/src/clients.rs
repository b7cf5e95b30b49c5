//! User agents, device summaries and applications, as the providers write them.

/// A client program on a device: its raw user agent and how Entra and Okta summarise it.
#[derive(Debug, PartialEq)]
pub struct Client {
    pub ua: &'static str,
    /// Entra `deviceDetail.operatingSystem`.
    pub entra_os: &'static str,
    /// Entra `deviceDetail.browser`.
    pub entra_browser: &'static str,
    /// Entra `clientAppUsed`.
    pub client_app: &'static str,
    /// Okta `client.userAgent.os`.
    pub okta_os: &'static str,
    /// Okta `client.userAgent.browser`.
    pub okta_browser: &'static str,
    /// A phone or tablet.
    pub mobile: bool,
    /// A native mail/Teams client rather than a browser.
    pub native: bool,
}

const BROWSER: &str = "Browser";
const NATIVE: &str = "Mobile Apps and Desktop clients";

macro_rules! clients {
    ($($id:ident = $ua:literal, $eos:literal, $ebr:literal, $app:ident, $oos:literal, $obr:literal, $mobile:literal, $native:literal;)*) => {
        $( pub static $id: Client = Client {
            ua: $ua, entra_os: $eos, entra_browser: $ebr, client_app: $app,
            okta_os: $oos, okta_browser: $obr, mobile: $mobile, native: $native,
        }; )*
    };
}

clients! {
    WIN_EDGE = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0", "Windows10", "Edge 126.0.0", BROWSER, "Windows 10", "EDGE", false, false;
    WIN_CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36", "Windows10", "Chrome 126.0.0", BROWSER, "Windows 10", "CHROME", false, false;
    WIN_FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0", "Windows10", "Firefox 127.0", BROWSER, "Windows 10", "FIREFOX", false, false;
    MAC_SAFARI = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15", "MacOs", "Safari 17.5", BROWSER, "Mac OS X", "SAFARI", false, false;
    MAC_CHROME = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36", "MacOs", "Chrome 126.0.0", BROWSER, "Mac OS X", "CHROME", false, false;
    WIN_OUTLOOK = "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17726; Pro)", "Windows10", "Rich Client 4.61.0.0", NATIVE, "Windows 10", "UNKNOWN", false, true;
    WIN_TEAMS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0 Teams/24152.405.2925.6762", "Windows10", "Rich Client 4.61.0.0", NATIVE, "Windows 10", "EDGE", false, true;
    MAC_OUTLOOK = "Microsoft Office/16.0 (Macintosh; Mac OS X 14.5; Microsoft Outlook 16.86)", "MacOs", "Rich Client 4.61.0.0", NATIVE, "Mac OS X", "UNKNOWN", false, true;
    IOS_OUTLOOK = "Outlook-iOS/709.2226530.prod.iphone (4.2423.0)", "Ios 17.5.1", "Mobile Safari", NATIVE, "iOS", "UNKNOWN", true, true;
    IOS_SAFARI = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "Ios 17.5.1", "Mobile Safari 17.5", BROWSER, "iOS", "SAFARI", true, false;
    ANDROID_OUTLOOK = "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP2A.240705.005; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/126.0.6478.122 Mobile Safari/537.36 PKeyAuth/1.0 Outlook-Android/2.2", "Android 14", "Rich Client 4.61.0.0", NATIVE, "Android", "CHROME", true, true;
    ANDROID_CHROME = "Mozilla/5.0 (Linux; Android 14; SM-S921U) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.122 Mobile Safari/537.36", "Android 14", "Chrome Mobile 126.0.6478", BROWSER, "Android", "CHROME", true, false;
    // what attacker tooling presents
    KIT_CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36", "Windows10", "Chrome 122.0.0", BROWSER, "Windows 10", "CHROME", false, false;
    KIT_AXIOS = "axios/1.7.2", "", "", BROWSER, "Unknown", "UNKNOWN", false, false;
    SPRAY_PYTHON = "python-requests/2.31.0", "", "", NATIVE, "Unknown", "UNKNOWN", false, false;
    SPRAY_ROPC = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0", "Windows10", "Edge 120.0.0", NATIVE, "Windows 10", "EDGE", false, false;
}

/// The laptop browsers users are given.
pub static LAPTOP_BROWSERS: &[&Client] = &[
    &WIN_EDGE,
    &WIN_EDGE,
    &WIN_CHROME,
    &MAC_SAFARI,
    &MAC_CHROME,
    &WIN_FIREFOX,
];
/// Phones: (browser, native mail client) pairs.
pub static PHONES: &[(&Client, &Client)] = &[
    (&IOS_SAFARI, &IOS_OUTLOOK),
    (&IOS_SAFARI, &IOS_OUTLOOK),
    (&ANDROID_CHROME, &ANDROID_OUTLOOK),
];

/// A first-party Microsoft application and the resource it asks a token for.
#[derive(Debug, PartialEq)]
pub struct App {
    pub id: &'static str,
    pub name: &'static str,
    pub resource_id: &'static str,
    pub resource_name: &'static str,
}

macro_rules! apps {
    ($($id:ident = $app_id:literal, $name:literal, $rid:literal, $rname:literal;)*) => {
        $( pub static $id: App = App { id: $app_id, name: $name, resource_id: $rid, resource_name: $rname }; )*
    };
}

apps! {
    OFFICE_HOME = "4765445b-32c6-49b0-83e6-1d93765276ca", "OfficeHome", "4765445b-32c6-49b0-83e6-1d93765276ca", "OfficeHome";
    OUTLOOK_WEB = "9199bf20-a13f-4107-85dc-02114787ef48", "One Outlook Web", "00000002-0000-0ff1-ce00-000000000000", "Office 365 Exchange Online";
    MS_OFFICE = "d3590ed6-52b3-4102-aeff-aad2292ab01c", "Microsoft Office", "00000002-0000-0ff1-ce00-000000000000", "Office 365 Exchange Online";
    TEAMS = "1fec8e78-bce4-4aaf-ab1b-5451cc387264", "Microsoft Teams", "cc15fd57-2c6c-4117-a88c-83b1d56b4bbe", "Microsoft Teams Services";
    OUTLOOK_MOBILE = "27922004-5251-4030-b22d-91ecd9a37ea4", "Outlook Mobile", "00000002-0000-0ff1-ce00-000000000000", "Office 365 Exchange Online";
    SHAREPOINT_WEB = "08e18876-6177-487e-b8b5-cf950c1e598c", "SharePoint Online Web Client Extensibility", "00000003-0000-0ff1-ce00-000000000000", "Office 365 SharePoint Online";
    ONEDRIVE_SYNC = "ab9b8c07-8f02-4f72-87fa-80105867a763", "OneDrive SyncEngine", "00000003-0000-0ff1-ce00-000000000000", "Office 365 SharePoint Online";
    AUTH_BROKER = "29d9ed98-a469-4536-ade2-f981bc1d605e", "Microsoft Authentication Broker", "00000002-0000-0000-c000-000000000000", "Windows Azure Active Directory";
    AZURE_PORTAL = "c44b4083-3bb0-49c1-b47d-974e53cbdf3c", "Azure Portal", "797f4846-ba00-4fd7-ba43-dac1f8f63013", "Windows Azure Service Management API";
    AAD_POWERSHELL = "1b730954-1685-4b74-9bfd-dac224a7b894", "Azure Active Directory PowerShell", "00000002-0000-0000-c000-000000000000", "Windows Azure Active Directory";
    GRAPH_EXPLORER = "de8bc8b5-d9f9-48b1-a8ad-b748da725064", "Graph Explorer", "00000003-0000-0000-c000-000000000000", "Microsoft Graph";
}

/// Apps a browser sign-in goes to.
pub static BROWSER_APPS: &[&App] = &[&OFFICE_HOME, &OUTLOOK_WEB, &OUTLOOK_WEB, &SHAREPOINT_WEB];
/// Apps a desktop rich client signs in to.
pub static DESKTOP_APPS: &[&App] = &[&MS_OFFICE, &TEAMS, &MS_OFFICE];
/// Apps behind the silent token refreshes of a signed-in device.
pub static REFRESH_APPS: &[&App] = &[
    &MS_OFFICE,
    &TEAMS,
    &ONEDRIVE_SYNC,
    &AUTH_BROKER,
    &OUTLOOK_MOBILE,
];

/// Okta application instances a user signs on to.
pub static OKTA_APPS: &[&str] = &[
    "Microsoft Office 365",
    "Microsoft Office 365",
    "Slack",
    "Zoom",
    "Box",
    "DocuSign",
    "NetDocuments",
    "Salesforce.com",
];
