<?php
/**
 * The manifest: what this WordPress says about itself, asked through its own API (get_permalink, get_the_title,
 * the_content's filters...), so that it is exactly what the site prints, not what we meant to store.
 *
 * Usage: php manifest.php DOCROOT IDS_JSON OUT_JSON
 */

define('WP_USE_THEMES', false);
require $argv[1] . '/wp-load.php';
add_filter('pre_http_request', function () {
    return new WP_Error('arshif_offline', 'no HTTP from the command line');
}, 1);
file_put_contents($argv[3], json_encode(arshif_manifest(json_decode(file_get_contents($argv[2]), true)),
    JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES | JSON_PRETTY_PRINT | JSON_THROW_ON_ERROR));

function arshif_text(string $html): string {
    return html_entity_decode(wp_strip_all_tags($html), ENT_QUOTES | ENT_HTML5, 'UTF-8');
}

/** Our code lives in functions: WordPress's globals ($post, $theme, $pages...) are left alone. */
function arshif_manifest(array $ids): array {
    $lang = [];
    foreach ($ids['posts'] as $entry) {
        $lang[$entry['id']] = $entry['lang'];
    }

    $posts = [];
    $query = new WP_Query([
        'post_type' => 'post', 'post_status' => 'publish', 'posts_per_page' => -1, 'orderby' => 'date',
        'order' => 'ASC', 'no_found_rows' => true,
    ]);
    foreach ($query->posts as $post) {
        $GLOBALS['post'] = $post;
        setup_postdata($post);
        $category = get_the_category($post->ID)[0];
        $tags = wp_get_post_tags($post->ID);
        $thumbnail = get_post_thumbnail_id($post);
        $comments = [];
        foreach (get_comments(['post_id' => $post->ID, 'status' => 'approve', 'orderby' => 'comment_ID',
                               'order' => 'ASC']) as $comment) {
            $comments[] = [
                'id' => (int) $comment->comment_ID, 'parent' => (int) $comment->comment_parent,
                'author' => $comment->comment_author, 'url' => get_comment_link($comment),
            ];
        }
        $content = str_replace(']]>', ']]&gt;', apply_filters('the_content', get_the_content(null, false, $post)));
        $posts[] = [
            'id' => $post->ID,
            'url' => get_permalink($post),
            'slug' => $post->post_name,
            'lang' => $lang[$post->ID] ?? null,
            'title_raw' => $post->post_title,
            'title_html' => get_the_title($post),
            'title' => arshif_text(get_the_title($post)),
            'author' => get_the_author_meta('display_name', $post->post_author),
            'author_url' => get_author_posts_url($post->post_author),
            'date' => get_the_date('Y-m-d', $post),
            'published' => get_the_date('c', $post),
            'modified' => get_the_modified_date('c', $post),
            'category' => $category->name,
            'category_url' => get_category_link($category),
            'tags' => array_map(function ($t) { return $t->name; }, $tags),
            'tag_urls' => array_map(function ($t) { return get_tag_link($t); }, $tags),
            'content' => $content,
            'image' => $thumbnail ? wp_get_attachment_url($thumbnail) : null,
            'comment_count' => (int) get_comments_number($post),
            'comments' => $comments,
        ];
    }
    wp_reset_postdata();

    $pages = [];
    foreach (get_pages(['sort_column' => 'ID']) as $page) {
        $pages[] = ['id' => $page->ID, 'url' => get_permalink($page), 'slug' => $page->post_name,
                    'title' => arshif_text(get_the_title($page))];
    }


    $authors = [];
    // Everyone with published content, as the users' sitemap lists them: the writers, and the administrator
    // whose only content is the static pages (an author archive with no posts, answering 200).
    foreach (get_users(['has_published_posts' => ['post', 'page'], 'orderby' => 'ID']) as $user) {
        $authors[] = ['id' => $user->ID, 'login' => $user->user_login, 'name' => $user->display_name,
                      'url' => get_author_posts_url($user->ID), 'bio' => $user->description,
                      'posts' => (int) count_user_posts($user->ID, 'post', true)];
    }

    global $wpdb;
    $months = [];
    foreach ($wpdb->get_results("SELECT YEAR(post_date) AS y, MONTH(post_date) AS m, COUNT(*) AS n FROM $wpdb->posts
                                 WHERE post_type = 'post' AND post_status = 'publish' GROUP BY y, m ORDER BY y, m") as $row) {
        $months[] = ['year' => (int) $row->y, 'month' => (int) $row->m, 'count' => (int) $row->n,
                     'url' => get_month_link($row->y, $row->m)];
    }

    // Where the trashed post was: its permalink as it stood before wp_trash_post renamed the slug.
    $trashed = get_post($ids['trash']);
    $former = clone $trashed;
    $former->post_status = 'publish';
    $former->post_name = get_post_meta($trashed->ID, '_wp_desired_post_slug', true);

    $theme = wp_get_theme();
    return [
        'platform' => 'wordpress',
        'wordpress' => get_bloginfo('version'),
        'theme' => $theme->get('Name'),
        'stylesheet' => get_stylesheet(),
        'block_theme' => wp_is_block_theme(),
        'url' => untrailingslashit(home_url()),
        'home' => home_url('/'),
        'blogname' => get_bloginfo('name'),
        'description' => get_bloginfo('description'),
        'locale' => get_locale(),
        'timezone' => wp_timezone_string(),
        'posts_per_page' => (int) get_option('posts_per_page'),
        'robots' => home_url('/robots.txt'),
        'sitemap' => get_sitemap_url('index'),
        'feeds' => ['rss' => get_feed_link('rss2'), 'atom' => get_feed_link('atom'),
                    'comments' => get_feed_link('comments_rss2')],
        'posts_count' => count($posts),
        'posts' => $posts,
        'pages' => $pages,
        'categories' => arshif_terms('category'),
        'tags' => arshif_terms('post_tag'),
        'authors' => $authors,
        'months' => $months,
        'trashed' => ['id' => $trashed->ID, 'url' => get_permalink($former), 'title' => $trashed->post_title,
                      'slug' => $trashed->post_name],
    ];
}

function arshif_terms(string $taxonomy): array {
    $out = [];
    foreach (get_terms(['taxonomy' => $taxonomy, 'hide_empty' => true, 'orderby' => 'term_id']) as $term) {
        $out[] = ['id' => $term->term_id, 'name' => $term->name, 'slug' => $term->slug,
                  'url' => get_term_link($term), 'count' => (int) $term->count];
    }
    return $out;
}
