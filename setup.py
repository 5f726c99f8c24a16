"""Package setup driven by settings.ini (the nbdev 2 layout); no pkg_resources."""
from configparser import ConfigParser
import setuptools

cfg = ConfigParser(delimiters=['='])
cfg.read('settings.ini', encoding='utf-8')
cfg = cfg['DEFAULT']

requirements = cfg.get('requirements', '').split()
dev_requirements = cfg.get('dev_requirements', '').split()
min_python = cfg['min_python']
entry_points = {'console_scripts': cfg.get('console_scripts', '').split(),
                'nbdev': [f"{cfg['lib_path']}={cfg['lib_path']}._modidx:d"]}

setuptools.setup(
    name=cfg['lib_name'],
    version=cfg['version'],
    description=cfg['description'],
    long_description=open('README.md', encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    author=cfg['author'],
    author_email=cfg['author_email'],
    license='Apache-2.0',
    url=cfg['git_url'],
    packages=setuptools.find_packages(include=[cfg['lib_path'], cfg['lib_path'] + '.*']),
    include_package_data=True,
    package_data={cfg['lib_path']: ['app.css', 'app.js', 'locales/*/LC_MESSAGES/*.po']},   # read at run time
    install_requires=requirements,
    extras_require={'dev': dev_requirements},
    python_requires=f'>={min_python}',
    zip_safe=False,
    entry_points=entry_points,
    keywords=cfg['keywords'],
    classifiers=['Programming Language :: Python :: 3'],
)
