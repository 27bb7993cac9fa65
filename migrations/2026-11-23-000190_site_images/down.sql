DROP TABLE site_images;
