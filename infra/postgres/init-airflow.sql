CREATE DATABASE airflow OWNER storyline;
