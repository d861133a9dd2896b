#!/usr/bin/env python3
# Writes tests/data/workspace-vN.sql: a workspace as schema version N wrote
# it (the migrations 0001..N of that time, then realistic rows in every
# table), as SQL text that sqlite3_exec() loads into an empty file.
# test-migrations opens each with ConfabDatabase and checks that every row
# survives the upgrade to the current schema.
#
# The fixtures are frozen: regenerate one only to add rows, never because a
# migration changed (migrations never change once released). A new schema
# version N adds one line to VERSIONS and one fixture file:
#   tests/data/make-workspace-fixtures.py 4
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SQL_DIR = os.path.join(HERE, '..', '..', 'data', 'sql')
APPLICATION_ID = 0x436f6e66

VERSIONS = {
    1: ['0001-initial.sql'],
    2: ['0001-initial.sql', '0002-provider-timeouts.sql'],
    3: ['0001-initial.sql', '0002-provider-timeouts.sql', '0003-message-answers.sql'],
    4: ['0001-initial.sql', '0002-provider-timeouts.sql', '0003-message-answers.sql',
        '0004-branches.sql'],
    5: ['0001-initial.sql', '0002-provider-timeouts.sql', '0003-message-answers.sql',
        '0004-branches.sql', '0005-prompt-library.sql'],
}


def q(value):
    if value is None:
        return 'NULL'
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def insert(table, row):
    columns = ', '.join(row)
    values = ', '.join(q(v) for v in row.values())
    return f'INSERT INTO {table} ({columns}) VALUES ({values});'


def rows(version):
    t = '2025-03-0{}T09:{:02d}:00.000Z'
    out = []
    add = lambda table, **row: out.append(insert(table, row))

    add('workspace', key='name', value='Sunrise Bakery (schema %d)' % version)
    add('workspace', key='created_by', value='confab 0.0.%d' % version)

    users = [
        ('u-ada', 'Ada Okafor', 'ada', 'ada@sunrise.example', 'admin', 'food & drink', 'Owner'),
        ('u-tom', 'Tomás Reyes', 'tomas', 'tomas@sunrise.example', 'operator', 'food & drink',
         'Front desk; speaks Spanish'),
        ('u-lin', 'Lin Zhou', 'linz', 'LIN@customer.example', 'client', None, None),
        ('u-old', 'Former Staff', 'former', 'former@sunrise.example', 'operator', None, None),
    ]
    for i, (uid, name, username, email, role, sector, persona) in enumerate(users):
        add('users', id=uid, name=name, username=username, email=email, role=role,
            sector=sector, persona=persona, is_active=0 if uid == 'u-old' else 1,
            created_at=t.format(1, i), updated_at=t.format(2, i))

    provider = dict(id='p-local', name='Local Ollama', kind='openai_compatible',
                    base_url='http://127.0.0.1:11434/v1', default_model='llama3.2',
                    context_window=8192, supports_streaming=1,
                    created_at=t.format(1, 10), updated_at=t.format(1, 10))
    hosted = dict(id='p-hosted', name='Hosted', kind='anthropic',
                  base_url='https://api.anthropic.example', default_model=None,
                  context_window=200000, supports_streaming=0,
                  created_at=t.format(1, 11), updated_at=t.format(1, 11))
    if version >= 2:
        provider['idle_timeout_s'] = 300
    add('providers', **provider)
    add('providers', **hosted)

    add('prompts', id='pr-greet', name='Greeting', description='How the concierge says hello',
        tags='["bakery","greeting"]', owner_id='u-ada',
        created_at=t.format(1, 20), updated_at=t.format(1, 20))
    add('prompt_versions', id='pv-1', prompt_id='pr-greet', version=1,
        body='Hello {{user.name|there}}, welcome to Sunrise Bakery!', variables='["user.name"]',
        message='First draft', author_id='u-ada', provider_id='p-local', model='llama3.2',
        temperature=0.5, max_tokens=256, created_at=t.format(1, 21), updated_at=t.format(1, 21))
    add('prompt_versions', id='pv-2', prompt_id='pr-greet', version=2,
        body='Hi {{user.name|there}} — fresh bread since 7am. {{#offer}}Today: {{offer}}{{/offer}}',
        variables='["user.name","offer"]', message='Mention the offer', author_id='u-old',
        provider_id=None, model=None, temperature=None, max_tokens=None,
        created_at=t.format(1, 22), updated_at=t.format(1, 22))
    add('prompt_labels', prompt_id='pr-greet', name='production', version_id='pv-1',
        updated_at=t.format(1, 23))
    add('prompt_labels', prompt_id='pr-greet', name='staging', version_id='pv-2',
        updated_at=t.format(1, 24))

    config = ('{"rules":[{"name":"Opening hours","match":"keywords_any",'
              '"patterns":["open","hours"],"responses":["We open at 7."]}],'
              '"fallback":["Sorry, I did not catch that."]}')
    add('agents', id='a-concierge', name='Bakery Concierge', description='Answers from rules',
        type='rule_based', sector='food & drink', provider_id=None, model=None,
        temperature=0.7, max_tokens=1024, system_prompt=None, prompt_id=None,
        prompt_label=None, prompt_version=0, config=config, owner_id='u-ada', is_active=1,
        created_at=t.format(1, 30), updated_at=t.format(1, 30))
    add('agents', id='a-helper', name='Order Helper', description='Hybrid: rules, then the model',
        type='hybrid', sector='food & drink', provider_id='p-local', model='llama3.2',
        temperature=0.3, max_tokens=512, system_prompt='You take bakery orders. Be brief.',
        prompt_id='pr-greet', prompt_label='production', prompt_version=0, config=config,
        owner_id='u-ada', is_active=1, created_at=t.format(1, 31), updated_at=t.format(1, 31))
    team = dict(id='t-front', name='Front Desk', description='Routes to the right agent',
                mode='router', max_turns=2, owner_id='u-ada',
                created_at=t.format(1, 32), updated_at=t.format(1, 32))
    if version >= 4:
        team['config'] = '{"selector":"rules"}'
    add('teams', **team)
    add('team_members', team_id='t-front', agent_id='a-concierge', position=0, role='greeter')
    add('team_members', team_id='t-front', agent_id='a-helper', position=1, role=None)

    add('knowledge_bases', id='kb-faq', owner_id='u-ada', title='Bakery FAQ',
        description='Allergens, hours, orders', is_active=1,
        created_at=t.format(1, 40), updated_at=t.format(1, 40))
    add('documents', id='d-faq', knowledge_base_id='kb-faq', filename='faq.md',
        content_type='text/markdown', status='indexed', error=None, size_bytes=412,
        created_at=t.format(1, 41), updated_at=t.format(1, 41))
    add('documents', id='d-bad', knowledge_base_id='kb-faq', filename='scan.pdf',
        content_type='application/pdf', status='failed', error='The PDF has no text',
        size_bytes=9000, created_at=t.format(1, 42), updated_at=t.format(1, 42))
    chunks = ['# Opening hours\nWe open at 7 every day except Sunday.',
              '# Gluten free\nOur gluten-free sourdough is baked on Tuesdays.',
              '# Orders\nCakes need 48 hours notice; call 555-0100.']
    for i, text in enumerate(chunks):
        add('chunks', id='c-%d' % i, document_id='d-faq', knowledge_base_id='kb-faq', ordinal=i,
            text=text, embedding=None, created_at=t.format(1, 43), updated_at=t.format(1, 43))
    add('agent_knowledge', agent_id='a-helper', knowledge_base_id='kb-faq')

    add('conversations', id='cv-1', user_id='u-lin', agent_id='a-concierge', team_id=None,
        title='are you open on sunday?', status='active',
        created_at=t.format(3, 0), updated_at=t.format(3, 5))
    add('conversations', id='cv-2', user_id='u-lin', agent_id=None, team_id='t-front',
        title='Birthday cake', status='escalated',
        created_at=t.format(3, 10), updated_at=t.format(3, 20))
    add('conversations', id='cv-3', user_id='u-tom', agent_id='a-helper', team_id=None,
        title='Ünïcödé — "quotes" and \'apostrophes\'', status='ended',
        created_at=t.format(3, 30), updated_at=t.format(3, 31))

    def message(mid, cv, seq, parent, role, content, status='complete', **extra):
        row = dict(id=mid, conversation_id=cv, seq=seq, parent_message_id=parent, role=role,
                   user_id=extra.get('user_id'), agent_id=extra.get('agent_id'),
                   content=content, source_references=extra.get('refs', '[]'),
                   model=extra.get('model'), tokens_in=extra.get('tokens_in', 0),
                   tokens_out=extra.get('tokens_out', 0), latency_ms=extra.get('latency', 0),
                   status=status, error=extra.get('error'),
                   created_at=t.format(3, seq), updated_at=t.format(3, seq))
        if version >= 3:
            row['answered_by'] = extra.get('answered_by')
            row['rule_name'] = extra.get('rule_name')
        if version >= 4:
            # The active branch as schema 4 keeps it: the newest sibling is shown.
            row['depth'] = extra.get('depth', 0)
            row['selected'] = extra.get('selected', 1)
            row['on_path'] = extra.get('on_path', 1)
        add('messages', **row)

    message('m-1', 'cv-1', 0, None, 'user', 'are you open on sunday?', user_id='u-lin',
            selected=0, on_path=0)
    message('m-2', 'cv-1', 1, 'm-1', 'assistant', 'We open at 7.', agent_id='a-concierge',
            model='rules', answered_by='rule', rule_name='Opening hours', depth=1, on_path=0)
    # A branch: the user edited their first message.
    message('m-3', 'cv-1', 2, None, 'user', 'are you open on saturday?', user_id='u-lin')
    message('m-4', 'cv-1', 3, 'm-3', 'assistant', 'Sorry, I did not catch that.',
            agent_id='a-concierge', model='rules', answered_by='fallback', depth=1)
    message('m-5', 'cv-2', 0, None, 'user', 'I need a birthday cake for 30 people',
            user_id='u-lin')
    message('m-6', 'cv-2', 1, 'm-5', 'assistant',
            'Cakes need 48 hours notice [1].', agent_id='a-helper', model='llama3.2',
            refs='[{"n":1,"chunk_id":"c-2","document_id":"d-faq","filename":"faq.md","ordinal":2}]',
            tokens_in=120, tokens_out=9, latency=840, answered_by='model', depth=1)
    message('m-7', 'cv-2', 2, 'm-6', 'supporter', 'Hi Lin, Tomás here — which day?',
            user_id='u-tom', depth=2)
    message('m-8', 'cv-3', 0, None, 'user', 'Ünïcödé — "quotes" and \'apostrophes\' 🎂',
            user_id='u-tom')
    message('m-9', 'cv-3', 1, 'm-8', 'assistant', '', status='error', agent_id='a-helper',
            model='llama3.2', error='Could not reach “Local Ollama”', answered_by=None,
            depth=1, selected=0, on_path=0)
    message('m-10', 'cv-3', 2, 'm-8', 'assistant', 'Half a rep', status='cancelled',
            agent_id='a-helper', model='llama3.2', answered_by='model', depth=1, selected=0,
            on_path=0)
    # Left streaming by a crash of the version that wrote it.
    message('m-11', 'cv-3', 3, 'm-8', 'assistant', 'Our sourdough is', status='streaming',
            agent_id='a-helper', model='llama3.2', answered_by=None, depth=1)

    if version >= 5:
        add('prompt_test_cases', id='tc-1', prompt_id='pr-greet', name='Greets Lin',
            variables='{"user.name":"Lin"}', input='hello',
            assertions='[{"type":"contains","value":"Lin"}]',
            created_at=t.format(4, 10), updated_at=t.format(4, 10))
        add('prompt_runs', id='run-1', prompt_id='pr-greet', version_id='pv-1',
            provider_id='p-local', agent_id=None, model='llama3.2',
            variables='{"user.name":"Lin"}', input='hello',
            output='Hello Lin, welcome to Sunrise Bakery!', status='complete', error=None,
            tokens_in=20, tokens_out=9, latency_ms=410, test_case_id='tc-1', passed=1,
            assertion_results='[{"type":"contains","value":"Lin","passed":true}]',
            created_at=t.format(4, 11), updated_at=t.format(4, 11))
        add('prompt_runs', id='run-2', prompt_id='pr-greet', version_id='pv-2',
            provider_id=None, agent_id='a-concierge', model='rules', variables='{}',
            input='are you open?', output='We open at 7.', status='complete', error=None,
            tokens_in=0, tokens_out=0, latency_ms=1, test_case_id=None, passed=None,
            assertion_results='[]', created_at=t.format(4, 12), updated_at=t.format(4, 12))

    add('escalations', id='e-1', conversation_id='cv-2', supporter_id='u-tom',
        reason='Large custom order', status='assigned', resolved_at=None,
        created_at=t.format(3, 15), updated_at=t.format(3, 16))
    add('escalations', id='e-2', conversation_id='cv-3', supporter_id=None,
        reason='Model unreachable', status='resolved', resolved_at=t.format(3, 40),
        created_at=t.format(3, 35), updated_at=t.format(3, 40))

    audits = [('u-ada', 'user', 'u-lin', 'create', '{}'),
              ('u-ada', 'agent', 'a-concierge', 'update',
               '{"changed":{"name":{"from":"Concierge","to":"Bakery Concierge"}}}'),
              (None, 'prompt', 'pr-greet', 'label', '{"label":"production","version":1}'),
              ('u-ada', 'user', 'u-gone', 'delete', '{}')]
    for i, (actor, entity, entity_id, action, details) in enumerate(audits):
        add('audit_log', at=t.format(4, i), actor_id=actor, entity=entity,
            entity_id=entity_id, action=action, details=details)
    return out


def main():
    wanted = [int(a) for a in sys.argv[1:]] or sorted(VERSIONS)
    for version in wanted:
        parts = ['-- A Confab workspace at schema version %d, for test-migrations.' % version,
                 '-- Generated by make-workspace-fixtures.py; frozen: do not regenerate for a',
                 '-- migration that came later.', '']
        for name in VERSIONS[version]:
            with open(os.path.join(SQL_DIR, name), encoding='utf-8') as f:
                parts.append('-- ' + name)
                parts.append(f.read().rstrip('\n'))
                parts.append('')
        parts.append('-- Rows')
        parts.extend(rows(version))
        parts.append('')
        parts.append('PRAGMA application_id = %d;' % APPLICATION_ID)
        parts.append('PRAGMA user_version = %d;' % version)
        with open(os.path.join(HERE, 'workspace-v%d.sql' % version), 'w', encoding='utf-8') as f:
            f.write('\n'.join(parts) + '\n')


if __name__ == '__main__':
    main()
