<?php
/**
 * Install WordPress and fill it with the plan of tests/wordpress/content.py, in one PHP process (a process per
 * post would load WordPress 150 times). Only WordPress's own API is used, so what is stored is what an editor
 * working in wp-admin would have stored.
 *
 * Usage: php install.php SOCKET DOCROOT PLAN_JSON IDS_OUT_JSON
 * Creates the database that DOCROOT's wp-config.php names (on the MariaDB at SOCKET), installs, and writes the
 * ids WordPress gave (posts by plan index, pages, the trashed post) to IDS_OUT_JSON.
 *
 * Everything of ours lives in functions: wp-settings.php runs at the top level and reuses global names ($theme,
 * $plugin, ...), so a global variable of this script could be overwritten while WordPress loads.
 */

function arshif_create_database(string $socket, string $docroot): void {
    preg_match("/define\\(\\s*'DB_NAME',\\s*'([^']+)'/", file_get_contents($docroot . '/wp-config.php'), $m);
    $db = new mysqli('localhost', 'root', '', '', 0, $socket);
    $db->query("DROP DATABASE IF EXISTS `$m[1]`");
    $db->query("CREATE DATABASE `$m[1]` CHARACTER SET utf8mb4");
    $db->close();
}

arshif_create_database($argv[1], $argv[2]);
define('WP_INSTALLING', true);
require $argv[2] . '/wp-load.php';

// Pluggable in upgrade.php: the new-site e-mail has nowhere to go.
function wp_new_blog_notification($blog_title, $blog_url, $user_id, $password) {
}

require_once ABSPATH . 'wp-admin/includes/upgrade.php';
require_once ABSPATH . 'wp-admin/includes/image.php';
require_once ABSPATH . 'wp-admin/includes/nav-menu.php';

// wp_install() asks the site itself whether pretty permalinks work; nothing answers yet, and nothing may leave.
add_filter('pre_http_request', function () {
    return new WP_Error('arshif_offline', 'no HTTP while installing');
}, 1);

arshif_main(json_decode(file_get_contents($argv[3]), true, 512, JSON_THROW_ON_ERROR), $argv[4]);

function arshif_main(array $plan, string $ids_file): void {
    $admin = arshif_install($plan);
    $users = arshif_users($plan['authors']);
    $categories = [];
    foreach ($plan['categories'] as $name) {
        $categories[$name] = wp_insert_term($name, 'category')['term_id'];
    }
    $ids = ['posts' => [], 'pages' => [], 'attachments' => []];
    foreach ($plan['posts'] as $p) {
        arshif_post($p, $users, $categories, $ids);
    }
    foreach ($plan['pages'] as $page) {
        $ids['pages'][$page['slug']] = arshif_check(wp_insert_post([
            'post_title' => $page['title'], 'post_name' => $page['slug'], 'post_content' => $page['content'],
            'post_status' => 'publish', 'post_type' => 'page', 'post_author' => $admin,
            'post_date' => $page['date'], 'post_date_gmt' => $page['date_gmt'], 'comment_status' => 'closed',
        ], true));
    }
    arshif_menu($categories, $ids['pages']);

    // Published, then deleted by an editor: WordPress keeps it in the trash and renames its slug.
    $ids['trash'] = $ids['posts'][$plan['trash']]['id'];
    wp_trash_post($ids['trash']);

    file_put_contents($ids_file, json_encode($ids, JSON_UNESCAPED_UNICODE | JSON_PRETTY_PRINT));
}

function arshif_check($result) {
    if (is_wp_error($result)) {
        fwrite(STDERR, $result->get_error_message() . "\n");
        exit(1);
    }
    return $result;
}

/** wp_install() and the settings an editor would then choose; returns the administrator's id. */
function arshif_install(array $plan): int {
    // What the web installer does when Arabic is chosen: the defaults it writes (the first category's name, the
    // date format, the widgets' headings) come out in Arabic.
    load_default_textdomain($plan['locale']);
    $GLOBALS['wp_locale'] = new WP_Locale();

    $installed = wp_install($plan['blogname'], 'admin', 'admin@example.com', 1, '', 'arshif-admin-password',
        $plan['locale']);
    $admin = (int) $installed['user_id'];
    wp_set_current_user($admin); // an administrator may save block comments and links unfiltered

    update_option('blogdescription', $plan['description']);
    update_option('timezone_string', $plan['timezone']);
    update_option('gmt_offset', '');
    update_option('posts_per_page', 10);
    update_option('show_avatars', 0);
    update_option('fresh_site', 0);
    update_option('default_pingback_flag', 0);
    update_option('default_ping_status', 'closed');
    $GLOBALS['wp_rewrite']->set_permalink_structure('/%year%/%monthnum%/%day%/%postname%/');

    // The starter content (a "Hello world!" post with a comment by wordpress.org, a sample page, a draft privacy
    // policy) is dated now, which would make the site differ from one run to the next: removed, as editors do.
    wp_delete_post(1, true);
    wp_delete_post(2, true);
    wp_delete_post(3, true);
    update_option('wp_page_for_privacy_policy', 0);
    return $admin;
}

function arshif_users(array $authors): array {
    $users = [];
    foreach ($authors as $author) {
        $users[$author['login']] = arshif_check(wp_insert_user([
            'user_login' => $author['login'], 'user_pass' => 'arshif-' . $author['login'],
            'user_email' => $author['login'] . '@example.com', 'display_name' => $author['name'],
            'nickname' => $author['name'], 'description' => $author['bio'], 'role' => 'author',
            'user_registered' => '2022-06-01 08:00:00',
        ]));
    }
    return $users;
}

function arshif_post(array $p, array $users, array $categories, array &$ids): void {
    $content = preg_replace_callback('/\{\{link:(\d+)\}\}/', function ($m) use ($ids) {
        return get_permalink($ids['posts'][(int) $m[1]]['id']);
    }, $p['content']);
    $id = arshif_check(wp_insert_post([
        'post_title' => $p['title'], 'post_content' => $content, 'post_status' => 'publish',
        'post_type' => 'post', 'post_author' => $users[$p['author']], 'post_date' => $p['date'],
        'post_date_gmt' => $p['date_gmt'], 'post_category' => [$categories[$p['category']]],
        'tags_input' => $p['tags'], 'comment_status' => 'open', 'ping_status' => 'closed',
    ], true));
    $ids['posts'][$p['index']] = ['id' => $id, 'lang' => $p['lang']];

    if ($p['image']) {
        $upload = wp_upload_dir(substr($p['date'], 0, 4) . '/' . substr($p['date'], 5, 2));
        $file = $upload['path'] . '/photo-' . $p['index'] . '.jpg';
        arshif_image($file, $p['index']);
        $attachment = arshif_check(wp_insert_attachment([
            'post_mime_type' => 'image/jpeg', 'post_title' => $p['title'], 'post_content' => '',
            'post_status' => 'inherit', 'post_author' => $users[$p['author']], 'post_date' => $p['date'],
            'post_date_gmt' => $p['date_gmt'],
        ], $file, $id, true));
        wp_update_attachment_metadata($attachment, wp_generate_attachment_metadata($attachment, $file));
        update_post_meta($attachment, '_wp_attachment_image_alt', $p['title']);
        set_post_thumbnail($id, $attachment);
        $ids['attachments'][] = $attachment;
    }

    $comment_ids = [];
    foreach ($p['comments'] as $j => $c) {
        $comment_ids[$j] = wp_insert_comment([
            'comment_post_ID' => $id, 'comment_author' => $c['author'], 'comment_author_email' => '',
            'comment_author_url' => '', 'comment_content' => $c['content'],
            'comment_parent' => $c['parent'] === null ? 0 : $comment_ids[$c['parent']],
            'comment_date' => $c['date'], 'comment_date_gmt' => $c['date_gmt'], 'comment_approved' => 1,
            'comment_type' => 'comment', 'comment_author_IP' => '127.0.0.1', 'comment_agent' => '',
        ]);
    }
}

/** A small JPEG of its own for each picture: bands of colour derived from the post's index. */
function arshif_image(string $file, int $index): void {
    $im = imagecreatetruecolor(480, 270);
    for ($band = 0; $band < 6; $band++) {
        $seed = crc32("arshif-$index-$band");
        $colour = imagecolorallocate($im, $seed & 0xFF, ($seed >> 8) & 0xFF, ($seed >> 16) & 0xFF);
        imagefilledrectangle($im, $band * 80, 0, $band * 80 + 79, 269, $colour);
    }
    $white = imagecolorallocate($im, 255, 255, 255);
    imagefilledellipse($im, 240, 135, 90 + $index % 60, 90 + $index % 60, $white);
    imagejpeg($im, $file, 82);
    imagedestroy($im);
}

/**
 * A menu for the classic theme (the block theme's navigation lists the pages by itself): the sections, then the
 * pages, as a news site's header has them.
 */
function arshif_menu(array $categories, array $pages): void {
    $menu = wp_create_nav_menu('القائمة الرئيسية');
    foreach ($categories as $term_id) {
        wp_update_nav_menu_item($menu, 0, [
            'menu-item-object-id' => $term_id, 'menu-item-object' => 'category',
            'menu-item-type' => 'taxonomy', 'menu-item-status' => 'publish',
        ]);
    }
    foreach ($pages as $page_id) {
        wp_update_nav_menu_item($menu, 0, [
            'menu-item-object-id' => $page_id, 'menu-item-object' => 'page', 'menu-item-type' => 'post_type',
            'menu-item-status' => 'publish',
        ]);
    }
    set_theme_mod('nav_menu_locations', ['primary' => $menu]);
}
