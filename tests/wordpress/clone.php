<?php
/**
 * Make a site out of the installed template: copy its database, move it to the new address and switch the theme,
 * the way a site is migrated (tables copied, then a search-and-replace of the old URL). Installing once and copying
 * is how both sites (and any private copy a test asks for) hold the very same posts, ids and dates.
 *
 * Usage: php clone.php SOCKET FROM_DB DOCROOT OLD_URL THEME
 * DOCROOT's wp-config.php names the new database and the new address.
 *
 * Our code lives in functions: wp-settings.php runs at the top level and overwrites globals such as $theme.
 */

function arshif_copy_database(string $socket, string $from, string $docroot): void {
    // wp-config.php also loads WordPress, which needs the database: read the new one's name from the file.
    preg_match("/define\\(\\s*'DB_NAME',\\s*'([^']+)'/", file_get_contents($docroot . '/wp-config.php'), $m);
    $to = $m[1];
    $db = new mysqli('localhost', 'root', '', '', 0, $socket);
    $db->query("DROP DATABASE IF EXISTS `$to`");
    $db->query("CREATE DATABASE `$to` CHARACTER SET utf8mb4");
    foreach ($db->query("SHOW TABLES FROM `$from`")->fetch_all() as [$table]) {
        $db->query("CREATE TABLE `$to`.`$table` LIKE `$from`.`$table`");
        $db->query("INSERT INTO `$to`.`$table` SELECT * FROM `$from`.`$table`");
    }
    $db->close();
}

function arshif_move(string $old_url, string $theme): void {
    global $wpdb;
    $new_url = untrailingslashit(home_url());
    foreach ([[$wpdb->posts, 'guid'], [$wpdb->posts, 'post_content'], [$wpdb->users, 'user_url'],
              [$wpdb->comments, 'comment_author_url']] as [$table, $column]) {
        $wpdb->query($wpdb->prepare("UPDATE $table SET $column = REPLACE($column, %s, %s)", $old_url, $new_url));
    }
    update_option('siteurl', $new_url);
    update_option('home', $new_url);
    if (get_option('stylesheet') !== $theme) {
        switch_theme($theme);
    }
    flush_rewrite_rules(false);
}

arshif_copy_database($argv[1], $argv[2], $argv[3]);
define('WP_USE_THEMES', false);
require $argv[3] . '/wp-load.php';
add_filter('pre_http_request', function () {
    return new WP_Error('arshif_offline', 'no HTTP from the command line');
}, 1);
arshif_move($argv[4], $argv[5]);
