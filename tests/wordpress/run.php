<?php
/**
 * Run a test's PHP snippet inside one site's WordPress (tests/wordpress/site.py: WordPressSite.php), so that a
 * test edits, publishes or trashes posts through WordPress's own API between two crawls.
 *
 * Usage: php run.php DOCROOT < SNIPPET   (the snippet without "<?php"; what it prints is returned)
 *
 * The snippet runs inside a function, with its own local variables: WordPress's globals ($post, $wpdb, ...)
 * need `global` as in any plugin.
 */

function arshif_run(string $arshif_snippet): void {
    eval($arshif_snippet);
}

$arshif_snippet = stream_get_contents(STDIN);
define('WP_USE_THEMES', false);
require $argv[1] . '/wp-load.php';
add_filter('pre_http_request', function () {
    return new WP_Error('arshif_offline', 'no HTTP from the command line');
}, 1);
wp_set_current_user(1); // as the administrator, who may publish anything
arshif_run($arshif_snippet);
