<?php
/**
 * Router for `php -S 127.0.0.1:PORT -t DOCROOT router.php`: what Apache's mod_rewrite does for WordPress (an
 * existing file is served, anything else goes to index.php), plus one JSON line per request in the file named by
 * the environment variable ARSHIF_WP_LOG. php -S itself logs nothing useful once a router is in place.
 *
 * The status is read at the very end (http_response_code() in a shutdown function registered from a shutdown
 * function, so after WordPress's own), which is what the client received.
 */

// Read now: WordPress adds slashes to everything in $_SERVER (wp_magic_quotes) before the request ends.
$arshif_request = [
    'started' => microtime(true),
    'bytes' => 0,
    'uri' => $_SERVER['REQUEST_URI'] ?? '/',
    'method' => $_SERVER['REQUEST_METHOD'] ?? 'GET',
    'headers' => [
        'user_agent' => $_SERVER['HTTP_USER_AGENT'] ?? null,
        'accept_encoding' => $_SERVER['HTTP_ACCEPT_ENCODING'] ?? null,
        'if_none_match' => $_SERVER['HTTP_IF_NONE_MATCH'] ?? null,
        'if_modified_since' => $_SERVER['HTTP_IF_MODIFIED_SINCE'] ?? null,
    ],
];

function arshif_log_request(?int $status = null, ?int $bytes = null): void {
    global $arshif_request;
    while (ob_get_level() > 0) {
        ob_end_flush(); // through the counting buffer below
    }
    $log = getenv('ARSHIF_WP_LOG');
    if (!$log) {
        return;
    }
    $parts = parse_url($arshif_request['uri']);
    $entry = [
        'time' => gmdate('Y-m-d\TH:i:s', (int) $arshif_request['started'])
            . sprintf('.%03d+00:00', (int) (fmod($arshif_request['started'], 1) * 1000)),
        'method' => $arshif_request['method'],
        'path' => $parts['path'] ?? '/',
        'query' => $parts['query'] ?? '',
        'status' => $status ?? (http_response_code() ?: 200),
        'bytes' => $bytes ?? $arshif_request['bytes'],
    ] + $arshif_request['headers'] + [
        'ms' => round((microtime(true) - $arshif_request['started']) * 1000, 1),
    ];
    file_put_contents($log, json_encode($entry, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES) . "\n",
        FILE_APPEND | LOCK_EX);
}

$arshif_root = rtrim($_SERVER['DOCUMENT_ROOT'], '/');
$arshif_path = rawurldecode(parse_url($_SERVER['REQUEST_URI'] ?? '/', PHP_URL_PATH) ?? '/');
$arshif_file = $arshif_root . $arshif_path;
$arshif_script = $arshif_root . '/index.php';
if (strpos($arshif_path, '..') === false) {
    if (is_dir($arshif_file) && is_file(rtrim($arshif_file, '/') . '/index.php')) {
        $arshif_script = rtrim($arshif_file, '/') . '/index.php';
    } elseif (is_file($arshif_file)) {
        if (substr($arshif_file, -4) !== '.php') {
            // php -S sends the file itself, always whole and with a 200.
            arshif_log_request(200, filesize($arshif_file));
            return false;
        }
        $arshif_script = $arshif_file;
    }
}

ob_start(function ($chunk) {
    global $arshif_request;
    $arshif_request['bytes'] += strlen($chunk);
    return $chunk;
}, 8192);
register_shutdown_function(function () {
    register_shutdown_function('arshif_log_request');
});

$_SERVER['SCRIPT_FILENAME'] = $arshif_script;
$_SERVER['SCRIPT_NAME'] = $_SERVER['PHP_SELF'] = substr($arshif_script, strlen($arshif_root));
chdir(dirname($arshif_script));
// At the top level, so that WordPress's files see the global scope they expect.
require $arshif_script;
